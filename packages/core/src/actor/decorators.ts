/**
 * The decorators. They work both as TypeScript's legacy decorators
 * (`experimentalDecorators`) and as standard decorators; they only record metadata.
 */
import { addMethodFlags, markActorClass, ASK, PARALLEL, REF, TELL } from './metadata';
import { ActorError } from '../errors';
import { resolveActorOptions, type ActorOptions } from './options';

/** A method decorator usable both as a legacy and as a standard decorator. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActorMethodDecorator = (...args: any[]) => void;

type LegacyMethodArgs = [target: object, key: string | symbol, descriptor: PropertyDescriptor | undefined];
type StandardMethodArgs = [value: Function, context: { kind: string; name: string | symbol }];

function methodDecorator(flags: number, label: string) {
  return function decorate(...args: unknown[]): void {
    let fn: unknown;
    let name: string | symbol;
    if (args.length === 2 && typeof args[1] === 'object' && args[1] !== null && 'kind' in args[1]) {
      const [value, context] = args as StandardMethodArgs;
      if (context.kind !== 'method') {
        throw new ActorError(`${label} decorates methods, not a ${context.kind} ('${String(context.name)}')`, {
          code: 'BAD_DEFINITION',
        });
      }
      fn = value;
      name = context.name;
    } else {
      const [, key, descriptor] = args as LegacyMethodArgs;
      fn = descriptor?.value;
      name = key;
    }
    if (typeof fn !== 'function') {
      throw new ActorError(`${label} decorates methods; '${String(name)}' is not a method`, {
        code: 'BAD_DEFINITION',
      });
    }
    if (typeof name === 'symbol') {
      throw new ActorError(`${label} needs a method with a string name, not ${String(name)}`, {
        code: 'BAD_DEFINITION',
      });
    }
    addMethodFlags(fn, flags);
  };
}

/** Where the class being decorated was defined (the first stack frame outside tsactor). */
function callerFile(): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 20;
    Error.prepareStackTrace = (_e, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    for (const frame of frames) {
      const file = frame.getFileName();
      if (!file || file === __filename || file.startsWith('node:')) continue;
      if (/[\\/]node_modules[\\/]tslib[\\/]/.test(file)) continue;
      return file.startsWith('file://') ? new URL(file).pathname : file;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** A class decorator usable both as a legacy and as a standard decorator. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches both decorator signatures
export type ActorClassDecorator = (...args: any[]) => void;

/**
 * Marks a class as an actor class and registers it by class name. Used bare, or with
 * options: `@Actor({ supervision: { onError: 'restart' }, mailbox: { capacity: 1000 } })`
 * (see {@link ActorOptions}); options are checked here and a bad one throws ActorError
 * (code 'BAD_OPTION').
 * @example
 * ```ts
 * @Actor
 * class Echo {
 *   @Tell echo(msg: string): void { console.log(msg); }
 * }
 * ```
 */
export function Actor(options: ActorOptions): ActorClassDecorator;
export function Actor(...args: unknown[]): void;
export function Actor(...args: unknown[]): void | ActorClassDecorator {
  const first = args[0];
  if (args.length === 1 && typeof first === 'object' && first !== null) {
    const options = first;
    return (...inner: unknown[]): void => {
      const klass = inner[0];
      if (typeof klass !== 'function') throw notAClass();
      markActorClass(klass, callerFile(), resolveActorOptions(klass.name, options));
    };
  }
  if (typeof first !== 'function') throw notAClass();
  markActorClass(first, callerFile());
}

function notAClass(): ActorError {
  return new ActorError(
    '@Actor decorates classes; use it bare (@Actor class Echo { ... }) or with options (@Actor({ supervision, mailbox }))',
    {
      code: 'BAD_DEFINITION',
    },
  );
}

/** An asynchronous method: the caller does not wait and gets nothing back. */
export const Tell: ActorMethodDecorator = methodDecorator(TELL, '@Tell');
/** A request-response method: the caller gets a Future of its result. */
export const Ask: ActorMethodDecorator = methodDecorator(ASK, '@Ask');
/** With `@Tell` or `@Ask`: proxies in the arguments (and the result) are re-made for the receiving side. */
export const Ref: ActorMethodDecorator = methodDecorator(REF, '@Ref');
/** With `@Tell` or `@Ask`: the actor keeps serving its mailbox while this method awaits. */
export const Parallel: ActorMethodDecorator = methodDecorator(PARALLEL, '@Parallel');

/**
 * Actor metadata: the decorators record here, everything else reads through
 * `getActorDefinition`. Method flags are kept by method function, so the same
 * record works for TypeScript's legacy (`experimentalDecorators`) and standard
 * decorators alike.
 */
import { ActorError } from '../errors';
import type { ResolvedActorOptions } from './options';

/** Method flag bits, as carried in an {@link ActorDescription}. */
export const TELL = 1;
export const ASK = 2;
export const REF = 4;
export const PARALLEL = 8;
/**
 * @internal An ask that an actor on the caller's thread handles at once, on the caller's
 * stack, when it is idle (nothing queued before it, nothing under way): the Host's `spawn`
 * and `lookup`. Only a class's own definition carries it, never a description (see
 * {@link withoutLocalFlags}); nothing it does differs from a trip through the mailbox but
 * the time it takes.
 */
export const AT_ONCE = 16;

/** Names every proxy defines itself; an actor method may not use them. */
export const RESERVED_PROXY_NAMES: ReadonlySet<string> = new Set(['getId', 'getUrl', 'equals', 'toString', 'withTimeout', 'then']);

/** The fields every actor gets from its runtime (see ActorBase); an actor method may not use them. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['id', 'url', 'proxy', 'host']);

/**
 * What a proxy needs to know of an actor: its class name and its callable methods with
 * their flags. This is plain data: it crosses threads and hosts (`lookupUrl` without a class).
 */
export interface ActorDescription {
  readonly name: string;
  /** method name -> TELL | ASK, or'ed with REF and PARALLEL */
  readonly methods: Readonly<Record<string, number>>;
  /** methods that exist on the class but are neither `@Tell` nor `@Ask` (calling them throws) */
  readonly plain?: readonly string[];
}

export interface ActorDefinition extends ActorDescription {
  readonly klass: Function;
  /** true when the class itself carries `@Actor` */
  readonly isActor: boolean;
  /** the file that defined the class, when known (used to load it in another thread) */
  readonly source: string | undefined;
  readonly plain: readonly string[];
  /** supervision and mailbox options of `@Actor({...})` (both undefined for a bare `@Actor`) */
  readonly options: ResolvedActorOptions;
  /**
   * @internal the function of every `@Tell`/`@Ask` method (those of `methods`), found once per
   * class: what a message to that method calls, on the actor instance
   */
  readonly fns: Readonly<Record<string, Function>>;
}

/** The options of a class without `@Actor({...})`. */
const NO_OPTIONS: ResolvedActorOptions = Object.freeze({ supervision: undefined, mailbox: undefined });

const methodFlags = new WeakMap<Function, number>();
const actorClasses = new WeakMap<Function, { source: string | undefined; options: ResolvedActorOptions }>();
const actorClassesByName = new Map<string, Function>();
const definitions = new WeakMap<Function, ActorDefinition>();
/** the class of the last definition asked for (spawns come in runs of one class), and its definition */
let lastClass: Function | null = null;
let lastDefinition: ActorDefinition | null = null;

/** @internal Records flag bits on a method function. */
export function addMethodFlags(fn: Function, flags: number): void {
  methodFlags.set(fn, (methodFlags.get(fn) ?? 0) | flags);
}

/** @internal Marks a class as an actor class. */
export function markActorClass(klass: Function, source: string | undefined, options: ResolvedActorOptions = NO_OPTIONS): void {
  actorClasses.set(klass, { source, options });
  actorClassesByName.set(klass.name, klass);
  definitions.delete(klass);
  if (lastClass === klass) lastClass = lastDefinition = null;
}

/** True when `klass` is decorated with `@Actor`. */
export function isActorClass(klass: unknown): klass is Function {
  return typeof klass === 'function' && actorClasses.has(klass);
}

/** The `@Actor` class last registered under that class name, if any. */
export function getActorClassByName(name: string): Function | undefined {
  return actorClassesByName.get(name);
}

/** Checks a method's flags and explains what is wrong. */
function checkFlags(className: string, method: string, flags: number): void {
  const where = `${className}.${method}`;
  if (flags & TELL && flags & ASK) {
    throw new ActorError(`${where} is marked both @Tell and @Ask; choose one`, { code: 'BAD_DEFINITION' });
  }
  if (!(flags & (TELL | ASK))) {
    const extra = [flags & REF ? '@Ref' : '', flags & PARALLEL ? '@Parallel' : ''].filter(Boolean).join(' and ');
    throw new ActorError(`${where} has ${extra} but neither @Tell nor @Ask; add one of them`, {
      code: 'BAD_DEFINITION',
    });
  }
  if (RESERVED_FIELD_NAMES.has(method)) {
    throw new ActorError(`${where}: '${method}' is the name of a field every actor gets (id, url, proxy, host); rename the method`, {
      code: 'BAD_DEFINITION',
    });
  }
  if (RESERVED_PROXY_NAMES.has(method)) {
    throw new ActorError(`${where}: '${method}' is reserved by proxies; rename the method`, {
      code: 'BAD_DEFINITION',
    });
  }
}

/**
 * The definition of an actor class: its callable methods (along the prototype chain) with
 * their flags. Computed once per class.
 */
export function getActorDefinition(klass: Function): ActorDefinition {
  if (klass === lastClass) return lastDefinition!;
  let def = definitions.get(klass);
  if (def !== undefined) {
    lastClass = klass;
    return (lastDefinition = def);
  }
  const methods = Object.create(null) as Record<string, number>;
  // a plain object, not a null-prototype one (which V8 keeps as a hash table): read on every
  // message, always after `methods` said the name is the class's own
  const fns: Record<string, Function> = {};
  const seen = new Set<string>();
  const plain: string[] = [];
  for (
    let proto = klass.prototype as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in methods) continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (!desc || typeof desc.value !== 'function') continue;
      const flags = methodFlags.get(desc.value as Function);
      if (flags !== undefined) {
        checkFlags(klass.name, name, flags);
        methods[name] = flags;
        // defined, not assigned: a method may be named __proto__
        Object.defineProperty(fns, name, { value: desc.value as Function, enumerable: true });
      } else {
        seen.add(name);
      }
    }
  }
  for (const name of seen) if (!(name in methods) && !RESERVED_PROXY_NAMES.has(name)) plain.push(name);
  const info = actorClasses.get(klass);
  def = {
    name: klass.name,
    methods: Object.freeze(methods),
    plain: Object.freeze(plain),
    klass,
    isActor: info !== undefined,
    source: info?.source,
    options: info?.options ?? NO_OPTIONS,
    fns: Object.freeze(fns),
  };
  definitions.set(klass, def);
  return def;
}

/**
 * The wire form of a definition (no class, no file). It keeps the names of the methods that
 * are neither `@Tell` nor `@Ask`, so that calling one through a proxy on another thread or host
 * throws the same explaining error as locally.
 */
export function describe(def: ActorDescription): ActorDescription {
  return def.plain !== undefined && def.plain.length > 0
    ? { name: def.name, methods: def.methods, plain: def.plain }
    : { name: def.name, methods: def.methods };
}

/**
 * @internal The method flags of a definition as a description carries them: without
 * {@link AT_ONCE}, which only means something to the class's own cells.
 */
export function withoutLocalFlags(methods: Readonly<Record<string, number>>): Readonly<Record<string, number>> {
  const out = Object.create(null) as Record<string, number>;
  for (const name of Object.keys(methods)) out[name] = methods[name]! & ~AT_ONCE;
  return Object.freeze(out);
}

/** Human-readable kind of a method, for error messages. */
export function methodKind(flags: number | undefined): string {
  if (flags === undefined) return 'not an actor method';
  return flags & TELL ? '@Tell' : '@Ask';
}

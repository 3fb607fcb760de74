/**
 * The errors of tsactor. Every class keeps its class name as `name` and a stable
 * `code`, so it can be rebuilt on the far side of a thread or host boundary.
 */
export class ActorError extends Error {
  /** A stable, machine-readable code (for example `'NOT_FOUND'`). */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'ACTOR_ERROR';
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
}

/** An actor id is already in use on that host. */
export class AlreadyExistsError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ALREADY_EXISTS' });
  }
}

/** No actor with that id (or URL) exists. */
export class NotFoundError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'NOT_FOUND' });
  }
}

/** The host of the target actor is down, unreachable, or was shut down. */
export class HostDownError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'HOST_DOWN' });
  }
}

/** A problem with a host itself: a URL in use, an unknown scheme, a closed host. */
export class HostError extends ActorError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: 'HOST_ERROR', ...options });
  }
}

/** An ask was not answered within its timeout. */
export class TimeoutError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'TIMEOUT' });
  }
}

/** A misuse of a future, such as `addCallback` outside an actor. */
export class FutureError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'FUTURE_ERROR' });
  }
}

/** `interval` or `later` was pointed at a method that is not a `@Tell` method. */
export class IntervalError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'INTERVAL_ERROR' });
  }
}

/** Every error class of tsactor, by name (used to rebuild errors that crossed a boundary). */
export const actorErrorClasses: ReadonlyMap<string, new (message: string) => ActorError> = new Map<
  string,
  new (message: string) => ActorError
>([
  ['ActorError', ActorError],
  ['AlreadyExistsError', AlreadyExistsError],
  ['NotFoundError', NotFoundError],
  ['HostDownError', HostDownError],
  ['HostError', HostError],
  ['TimeoutError', TimeoutError],
  ['FutureError', FutureError],
  ['IntervalError', IntervalError],
]);

/** Turns any thrown value into an Error. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object' && 'message' in value) {
    const e = new Error(String((value as { message: unknown }).message));
    if ('name' in value) e.name = String((value as { name: unknown }).name);
    return e;
  }
  return new Error(typeof value === 'string' ? value : `non-error value thrown: ${String(value)}`);
}

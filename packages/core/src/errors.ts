/**
 * The errors of tsactor. Every class keeps its class name as `name` and a stable
 * `code`, so it can be rebuilt on the far side of a thread or host boundary.
 */

/**
 * The codes of the Close frame by which a host ends or refuses a connection (a refusal
 * reaches the connecting side as a HostError with that code).
 */
export type CloseCode =
  // the first frame was not a Hello
  | 'PROTOCOL'
  // the peer speaks another wire version
  | 'VERSION'
  // the shared token is missing or wrong
  | 'UNAUTHENTICATED'
  // the host was shut down
  | 'SHUTDOWN';

/** The `code` of every error that tsactor's packages raise. */
export type ActorErrorCode =
  // the error classes' own codes
  | 'ACTOR_ERROR'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'HOST_DOWN'
  | 'HOST_ERROR'
  | 'TIMEOUT'
  | 'FUTURE_ERROR'
  | 'INTERVAL_ERROR'
  | 'MAILBOX_FULL'
  // hosts, contexts and the plugin registries
  | 'ADDRESS_IN_USE'
  | 'BAD_OPTION'
  | 'BAD_URL'
  | 'CONNECT_FAILED'
  | 'CONTEXT_TAKEN'
  | 'HOST_CLOSED'
  | 'HOST_EXISTS'
  | 'HOST_IN_WORKER'
  | 'LISTEN_FAILED'
  | 'NO_HOST'
  | 'SCHEME_TAKEN'
  | 'TLS_REQUIRED'
  | 'UNKNOWN_CONTEXT'
  | 'UNKNOWN_SCHEME'
  // observation (OpenTelemetry, the inspector)
  | 'TELEMETRY_UNAVAILABLE'
  | 'INSPECTOR_UNAVAILABLE'
  | 'INSPECTOR_UNPROTECTED'
  | 'INSPECTOR_FAILED'
  // actor classes, methods and spawning
  | 'BAD_CLASS_SPEC'
  | 'BAD_DEFINITION'
  | 'CLASS_LOAD_FAILED'
  | 'CLASS_NOT_EXPORTED'
  | 'NOT_AN_ACTOR_METHOD'
  | 'REF_REQUIRED'
  | 'SPAWN_FAILED'
  | 'SPAWN_REFUSED'
  | 'UNKNOWN_METHOD'
  // what a peer may do (trust options)
  | 'LOOKUP_REFUSED'
  | 'PROTECTED_MODE'
  | 'STOP_REFUSED'
  | 'WATCH_REFUSED'
  // values and frames on the wire
  | 'MALFORMED'
  | 'NOT_SERIALIZABLE'
  | 'OVERLOADED'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  // clusters (@tsactor/cluster)
  | 'ACTIVATION_FAILED'
  | 'CLUSTER_ARGUMENT'
  | 'CLUSTER_CAPACITY'
  | 'CLUSTER_LEFT'
  | 'CLUSTER_UNAVAILABLE'
  | 'MEMBERSHIP_CLOSED'
  | 'MEMBERSHIP_UNAVAILABLE'
  // the AMQP broker
  | 'BAD_BROKER_URL'
  | 'BROKER_AUTH'
  | 'BROKER_UNREACHABLE'
  | CloseCode;

/**
 * The type of {@link ActorError.code}: one of tsactor's codes ({@link ActorErrorCode}), or
 * any other string. An application or a third-party runtime or transport may give its own
 * errors codes of its own, and an error that crossed a thread or host boundary keeps the
 * code it was raised with, whoever raised it.
 */
export type ErrorCode = ActorErrorCode | (string & {});

/** The options of an ActorError. */
export interface ActorErrorOptions {
  /** the error that caused this one */
  cause?: unknown;
  /** its code (default: the class's own) */
  code?: ErrorCode;
}

export class ActorError extends Error {
  /** A stable, machine-readable code (for example `'NOT_FOUND'`); see {@link ActorErrorCode}. */
  readonly code: ErrorCode;

  constructor(message: string, options?: ActorErrorOptions) {
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
  constructor(message: string, options?: ActorErrorOptions) {
    super(message, { code: 'HOST_ERROR', ...options });
  }
}

/** An ask was not answered within its timeout. */
export class TimeoutError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'TIMEOUT' });
  }
}

/**
 * A message was refused because a queue on its way is full: the actor's bounded mailbox
 * (overflow 'reject'), or what a transport keeps for a peer that does not keep up.
 */
export class MailboxFullError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'MAILBOX_FULL' });
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
  ['MailboxFullError', MailboxFullError],
]);

/** Turns any thrown value into an Error. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object' && 'message' in value) {
    const e = new Error(String(value.message));
    if ('name' in value) e.name = String((value as { name: unknown }).name);
    return e;
  }
  return new Error(typeof value === 'string' ? value : `non-error value thrown: ${String(value)}`);
}

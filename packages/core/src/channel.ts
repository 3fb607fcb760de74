/**
 * The contract between proxies and whatever delivers their messages: a local mailbox, a
 * worker thread, a connection to a remote host.
 */
import type { ActorDescription } from './actor/metadata';
import type { ActorCell } from './actor/cell';
import type { Future } from './future';
import { observing } from './observe/state';
import { observeDeadLetter } from './observe/record';

/** Where the answer of an ask goes. A Future is one; transports have their own. */
export interface Reply {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The data of an actor reference: what a proxy is a view of. */
export interface ActorAddress {
  /** the actor's full URL, e.g. `local://local:6666/echo1` */
  readonly url: string;
  /** the host part, ending in '/', e.g. `local://local:6666/` */
  readonly base: string;
  /** the actor id on its host ('' for a host itself) */
  readonly id: string;
  readonly desc: ActorDescription;
}

/**
 * Delivers messages to actors. `send` never throws for delivery failures: a failed ask
 * rejects its reply, a failed tell is reported. Messages sent through one channel are
 * delivered in the order sent.
 */
export interface ActorChannel {
  /** false once this channel can no longer deliver (a stopped actor, a closed connection): the proxy resolves its target again */
  readonly alive: boolean;
  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void;
  /**
   * Someone who knows better (a cluster's membership) says that the host behind this
   * channel is gone: a channel that has not heard from it lately fails what it holds now,
   * as on a lost connection, instead of waiting out its own timeout. Optional.
   */
  declareDown?(error: Error): void;
  /**
   * Makes the future of an ask sent through this channel, for a channel that keeps what a
   * call needs if it fails in the call's own future (the cluster's: no answer slot of its
   * own per call). Optional: a plain Future otherwise.
   */
  future?(target: ActorAddress, method: string, timeout: number | null, owner: ActorCell | null): Future;
}

/** How tell failures and other asynchronous errors are reported. */
export type ErrorHandler = (error: Error, info: { actor: string; method: string; kind: 'tell' | 'callback' | 'internal' }) => void;

let errorHandler: ErrorHandler = (error, info) => {
  const what = info.kind === 'internal' ? info.method : `${info.kind} ${info.method}() of ${info.actor}`;
  process.stderr.write(`tsactor: error in ${what}: ${error.stack ?? String(error)}\n`);
};

/**
 * Replaces the reporter of errors nobody awaits (errors thrown by tell methods and
 * callbacks, dropped messages) and returns the one it replaced, so it can be put back.
 * The default writes them to stderr.
 */
export function setErrorHandler(handler: ErrorHandler): ErrorHandler {
  if (typeof handler !== 'function') {
    throw new TypeError(`setErrorHandler(handler): expected a function (error, info) => void, got ${String(handler)}`);
  }
  const previous = errorHandler;
  errorHandler = handler;
  return previous;
}

/** @internal */
export function reportError(error: unknown, info: Parameters<ErrorHandler>[1]): void {
  try {
    errorHandler(error instanceof Error ? error : new Error(String(error)), info);
  } catch {
    // a broken reporter must not break the actor
  }
}

/**
 * A message that tsactor could not deliver and had no one to answer about: a tell dropped
 * by a full mailbox or a lost connection, an answer whose asker is gone. Handed to the
 * dead-letter handler ({@link setDeadLetterHandler}); never dropped silently.
 */
export interface DeadLetter {
  /** the URL of the actor the message was for (or of the host, for a whole connection) */
  readonly target: string;
  /** the method called ('' when the letters of a whole queue are counted together) */
  readonly method: string;
  /** what was lost: a tell, an ask (its caller was told too), or the answer of an ask */
  readonly kind: 'tell' | 'ask' | 'answer';
  /** why, as a short code: 'mailbox-full', 'overflow', 'stopped', 'connection-lost', 'host-down', 'timed-out', … */
  readonly reason: string;
  /** how many messages this letter stands for (1, or a count when a whole queue was dropped) */
  readonly count: number;
  /** the error that explains it, when there is one */
  readonly error?: Error;
}

/** Receives dead letters. */
export type DeadLetterHandler = (letter: DeadLetter) => void;

let deadLetterHandler: DeadLetterHandler = (letter) => {
  const one = letter.kind === 'ask' || letter.kind === 'answer' ? `an ${letter.kind}` : `a ${letter.kind}`;
  const what = letter.count === 1 ? one : `${letter.count} ${letter.kind}s`;
  const method = letter.method === '' ? '' : ` ${letter.method}()`;
  // an answer comes from the host it names; the rest were on their way to it
  const where = letter.kind === 'answer' ? `from ${letter.target}` : `to ${letter.target}`;
  const why = letter.error === undefined ? '' : `: ${letter.error.message}`;
  const verb = letter.count === 1 ? 'was' : 'were';
  process.stderr.write(`tsactor: dead letter: ${what}${method} ${where} ${verb} dropped (${letter.reason})${why}\n`);
};

/**
 * Replaces the handler of dead letters (messages dropped by a full mailbox, a lost
 * connection or a stopped actor, and answers nobody waits for) and returns the one it
 * replaced. The default writes one line per letter to stderr.
 */
export function setDeadLetterHandler(handler: DeadLetterHandler): DeadLetterHandler {
  if (typeof handler !== 'function') {
    throw new TypeError(`setDeadLetterHandler(handler): expected a function (letter) => void, got ${String(handler)}`);
  }
  const previous = deadLetterHandler;
  deadLetterHandler = handler;
  return previous;
}

/** @internal hands a dead letter to the handler (a throwing handler is ignored). */
export function reportDeadLetter(letter: DeadLetter): void {
  if (observing.on) observeDeadLetter(letter);
  try {
    deadLetterHandler(letter);
  } catch {
    // a broken handler must not break delivery
  }
}

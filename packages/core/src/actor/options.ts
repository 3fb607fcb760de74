/**
 * The options of `@Actor({...})`: supervision (what happens when a method fails) and a
 * bounded mailbox. Checked once, when the class is decorated.
 */
import { ActorError } from '../errors';

/** Why an actor ended, as its `onStop` hook and its watchers are told. */
export type StopReason = 'stopped' | 'failed' | 'host-down' | 'shutdown';

/** What an actor class does when one of its methods throws or its promise rejects. */
export interface Supervision {
  /**
   * 'resume' (the default): report the error and go on with the same instance;
   * 'restart': a fresh instance (same constructor arguments) takes over the mailbox;
   * 'stop': the actor stops (reason 'failed').
   */
  onError: 'resume' | 'restart' | 'stop';
  /** with 'restart': more restarts than this within `within` seconds stop the actor (default 10) */
  maxRestarts?: number;
  /** with 'restart': the window in seconds over which restarts are counted (default 60) */
  within?: number;
  /**
   * with 'restart': seconds to wait before the fresh instance takes over, doubling with each
   * restart in the window from `min` up to `max`; the mailbox keeps its messages meanwhile
   * (default: no wait)
   */
  backoff?: [min: number, max: number];
}

/** A bounded mailbox. */
export interface MailboxOptions {
  /** the most messages the mailbox holds */
  capacity: number;
  /**
   * what a message to a full mailbox does: 'reject' (the default) refuses the new one;
   * 'drop-newest' drops the new one; 'drop-oldest' drops the oldest queued one to make room.
   * A refused or dropped ask rejects with MailboxFullError; a dropped tell is a dead letter.
   */
  overflow?: 'reject' | 'drop-oldest' | 'drop-newest';
}

/** The options of `@Actor({...})`. */
export interface ActorOptions {
  supervision?: Supervision;
  mailbox?: MailboxOptions;
}

/** Supervision with its defaults filled in (restart only). */
export interface ResolvedSupervision {
  readonly onError: 'restart' | 'stop';
  readonly maxRestarts: number;
  /** milliseconds */
  readonly within: number;
  /** milliseconds; 0 when there is no backoff */
  readonly backoffMin: number;
  readonly backoffMax: number;
}

/** Overflow policies as small integers (compared on the path of a full mailbox). */
export const OVERFLOW_REJECT = 0;
export const OVERFLOW_DROP_OLDEST = 1;
export const OVERFLOW_DROP_NEWEST = 2;

/** A mailbox bound with its policy as a number. */
export interface ResolvedMailbox {
  readonly capacity: number;
  readonly overflow: typeof OVERFLOW_REJECT | typeof OVERFLOW_DROP_OLDEST | typeof OVERFLOW_DROP_NEWEST;
}

/** The options of a class, checked and with defaults; undefined parts mean "as without options". */
export interface ResolvedActorOptions {
  readonly supervision: ResolvedSupervision | undefined;
  readonly mailbox: ResolvedMailbox | undefined;
}

function bad(className: string, what: string): ActorError {
  return new ActorError(`@Actor options of ${className}: ${what}`, { code: 'BAD_OPTION' });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function seconds(className: string, name: string, v: unknown, positive: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw bad(className, `${name} must be a ${positive ? 'positive' : 'non-negative'} number of seconds, got ${String(v)}`);
  }
  return v;
}

const KNOWN = new Set(['supervision', 'mailbox']);

/** Checks the options given to `@Actor({...})` and fills in the defaults. */
export function resolveActorOptions(className: string, options: unknown): ResolvedActorOptions {
  if (!isObject(options)) throw bad(className, `expected an object { supervision?, mailbox? }, got ${String(options)}`);
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw bad(className, `unknown option '${k}'; the options are supervision and mailbox`);
  }
  return { supervision: resolveSupervision(className, options.supervision), mailbox: resolveMailbox(className, options.mailbox) };
}

function resolveSupervision(className: string, s: unknown): ResolvedSupervision | undefined {
  if (s === undefined) return undefined;
  if (!isObject(s)) throw bad(className, `supervision must be an object { onError, maxRestarts?, within?, backoff? }`);
  const onError = s.onError;
  if (onError !== 'resume' && onError !== 'restart' && onError !== 'stop') {
    throw bad(className, `supervision.onError must be 'resume', 'restart' or 'stop', got ${JSON.stringify(onError)}`);
  }
  const maxRestarts = s.maxRestarts ?? 10;
  if (typeof maxRestarts !== 'number' || !(Number.isInteger(maxRestarts) || maxRestarts === Infinity) || maxRestarts < 0) {
    throw bad(className, `supervision.maxRestarts must be a whole number >= 0 (or Infinity), got ${JSON.stringify(maxRestarts)}`);
  }
  const within = seconds(className, 'supervision.within', s.within ?? 60, true);
  let backoffMin = 0;
  let backoffMax = 0;
  if (s.backoff !== undefined) {
    const b = s.backoff;
    if (!Array.isArray(b) || b.length !== 2)
      throw bad(className, `supervision.backoff must be [min, max] in seconds, got ${JSON.stringify(b)}`);
    backoffMin = seconds(className, 'supervision.backoff[0]', b[0], false);
    backoffMax = seconds(className, 'supervision.backoff[1]', b[1], false);
    if (backoffMax < backoffMin)
      throw bad(className, `supervision.backoff is [min, max]: max (${backoffMax}) is below min (${backoffMin})`);
  }
  if (onError === 'resume') return undefined;
  return { onError, maxRestarts, within: within * 1000, backoffMin: backoffMin * 1000, backoffMax: backoffMax * 1000 };
}

function resolveMailbox(className: string, m: unknown): ResolvedMailbox | undefined {
  if (m === undefined) return undefined;
  if (!isObject(m)) throw bad(className, `mailbox must be an object { capacity, overflow? }`);
  const capacity = m.capacity;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
    throw bad(className, `mailbox.capacity must be a whole number of messages >= 1, got ${String(capacity)}`);
  }
  const o = m.overflow ?? 'reject';
  const overflow =
    o === 'reject' ? OVERFLOW_REJECT : o === 'drop-oldest' ? OVERFLOW_DROP_OLDEST : o === 'drop-newest' ? OVERFLOW_DROP_NEWEST : -1;
  if (overflow === -1) throw bad(className, `mailbox.overflow must be 'reject', 'drop-oldest' or 'drop-newest', got ${JSON.stringify(o)}`);
  return { capacity, overflow };
}

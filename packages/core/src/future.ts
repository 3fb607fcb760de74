/**
 * Future: the pending answer of an ask. It is awaitable (waiting at most the proxy's
 * timeout), can be polled with done()/running(), and can call back a method of the actor
 * that made the ask through that actor's mailbox (addCallback).
 */
import { FutureError, TimeoutError, toError } from './errors';
import type { Reply } from './channel';
import { timeouts, type Deadline } from './timeouts';
import type { ActorCell } from './actor/cell';
import { currentCell } from './actor/current';
import { observing } from './observe/state';
import { observeTimeout } from './observe/record';

/*
 * The state of a future. Plain number constants with literal types (not an enum object):
 * every ask compares them, however the module is compiled.
 */
/** no answer yet */
const PENDING = 0;
/** answered with a value */
const OK = 1;
/** answered with an error */
const FAILED = 2;
/** The state of a future. */
type FutureState = typeof PENDING | typeof OK | typeof FAILED;

/** `instanceof` as the language does it, without a class's own Symbol.hasInstance */
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * @internal True when `x` is a Future object (or one of a subclass), not an answered promise:
 * for the replies of asks, which never are those. Cheaper than `instanceof Future`, which
 * calls Future[Symbol.hasInstance].
 */
export function isFuture(x: unknown): x is Future {
  return ordinaryHasInstance.call(Future, x);
}

class Waiter implements Deadline {
  settled = false;
  at = 0;
  /** set by the timeout queue (declared here so that every waiter has one shape) */
  bucket: unknown = undefined;
  constructor(
    private readonly future: Future,
    readonly ok: (v: unknown) => void,
    readonly fail: (e: unknown) => void,
    private readonly seconds: number,
  ) {}
  expire(): void {
    if (observing.on) observeTimeout(this.future._target, this.future._method);
    const f = this.future;
    f._dropWaiter(this);
    const e = f._timeoutError(this.seconds);
    this.fail(e);
    // a wait as long as the ask's own timeout (or longer) ends the ask; a shorter result(seconds) does not
    if (f._onAbandon !== null && f._timeout !== null && this.seconds >= f._timeout) f._abandoned(e);
  }
}

export class Future<R = unknown> implements PromiseLike<R>, Reply {
  /** An answer made at once (a native promise, see answered()) is a Future too. */
  static [Symbol.hasInstance](x: unknown): boolean {
    return ordinaryHasInstance.call(this, x) || (this === Future && typeof x === 'object' && x !== null && ANSWERED in x);
  }

  private state: FutureState = PENDING;
  private value: unknown = undefined;
  /** the first waiter, and those after it (most futures have one: no array for it) */
  private waiter: Waiter | null = null;
  private waiters: Waiter[] | null = null;
  private callbacks: Array<[ActorCell, string]> | null = null;
  /** @internal the proxy's default timeout in seconds (null: forever) */
  readonly _timeout: number | null;
  /** @internal the actor whose method is called back (the caller), if any */
  readonly _owner: ActorCell | null;
  /** @internal applied to a successful value (re-making proxies of `@Ref` results) */
  _transform: ((value: unknown) => unknown) | null = null;
  /** @internal set by a transport that keeps the ask in a table (see {@link onAskAbandoned}) */
  _onAbandon: ((askId: number) => void) | null = null;
  /** @internal the transport's id of the ask, passed to `_onAbandon` */
  _askId = 0;

  constructor(
    /** @internal the target, for messages */ readonly _target: string,
    /** @internal */ readonly _method: string,
    timeout: number | null = 10,
    owner: ActorCell | null = currentCell(),
  ) {
    this._timeout = timeout;
    this._owner = owner;
  }

  /** True once the ask has an answer (a value or an error). */
  done(): boolean {
    return this.state !== PENDING;
  }

  /** True while the ask is under way. */
  running(): boolean {
    return this.state === PENDING;
  }

  /**
   * The answer: resolves with the value or rejects with the remote error, or with
   * TimeoutError after `timeout` seconds (default: the proxy's timeout; null: no limit).
   */
  result(timeout: number | null | undefined = this._timeout): Promise<R> {
    if (this.state === OK) return Promise.resolve(this.value as R);
    if (this.state === FAILED) return Promise.reject(this.value);
    return this.waitFor(timeout);
  }

  /** The pending case of result(), in its own function: the answered case makes no closure. */
  private waitFor(timeout: number | null | undefined): Promise<R> {
    return new Promise<R>((ok, fail) => this.wait(ok as (v: unknown) => void, fail, timeout));
  }

  /** The error of the ask, or null when it succeeded; waits like {@link result}. */
  exception(timeout: number | null | undefined = this._timeout): Promise<Error | null> {
    if (this.state === OK) return Promise.resolve(null);
    if (this.state === FAILED) return Promise.resolve(toError(this.value));
    return new Promise<Error | null>((ok, fail) =>
      this.wait(
        () => ok(null),
        (e) => (e instanceof TimeoutError && this.state === PENDING ? fail(e) : ok(toError(e))),
        timeout,
      ),
    );
  }

  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.result().then(onfulfilled, onrejected);
  }

  /**
   * Calls `method` of the calling actor, through its mailbox, with this future once it is
   * done (at once if it already is). Only inside an actor, naming one of its own methods.
   */
  addCallback(method: string): void {
    const owner = callbackOwner(this._owner, method);
    if (this.state !== PENDING) {
      owner.callback(method, this);
      return;
    }
    (this.callbacks ??= []).push([owner, method]);
  }

  /**
   * @internal This future, or when it was answered with a value already (a spawn or lookup
   * the host ran at once on the caller's stack) the same answer as a native promise (see answered()).
   */
  _asMade(): Future<R> {
    return this.state === OK ? (answered(this, this.value) as unknown as Future<R>) : this;
  }

  /** @internal */
  resolve(value: unknown): void {
    if (this.state !== PENDING) return;
    if (this._transform !== null) {
      try {
        value = this._transform(value);
      } catch (e) {
        this.reject(e);
        return;
      }
    }
    this.state = OK;
    this.value = value;
    this.settle();
  }

  /** @internal */
  reject(error: unknown): void {
    if (this.state !== PENDING) return;
    this.state = FAILED;
    this.value = error;
    this.settle();
  }

  toString(): string {
    const state = this.state === PENDING ? 'pending' : this.state === OK ? 'done' : 'failed';
    return `Future(${this._method}() of ${this._target}, ${state})`;
  }

  private notify(w: Waiter): void {
    timeouts.settle(w);
    if (this.state === FAILED) w.fail(this.value);
    else w.ok(this.value);
  }

  /** @internal */
  _timeoutError(seconds: number): TimeoutError {
    return new TimeoutError(
      `ask ${this._method}() of ${this._target} got no answer within ${seconds} s; raise the timeout with withTimeout(seconds) or result(seconds)`,
    );
  }

  /**
   * @internal A wait of the ask's own timeout (or longer) timed out: when nothing else waits
   * for the answer (no waiter, no callback), the transport forgets the ask and the future
   * fails with that TimeoutError.
   */
  _abandoned(error: TimeoutError): void {
    if (this.state !== PENDING || this.waiter !== null || (this.waiters !== null && this.waiters.length > 0) || this.callbacks !== null)
      return;
    const hook = this._onAbandon!;
    this._onAbandon = null;
    hook(this._askId);
    this.reject(error);
  }

  /** @internal */
  _dropWaiter(w: Waiter): void {
    if (this.waiter === w) {
      this.waiter = null;
      return;
    }
    const list = this.waiters;
    if (list === null) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
  }

  private wait(ok: (v: unknown) => void, fail: (e: unknown) => void, timeout: number | null | undefined): void {
    const w = new Waiter(this, ok, fail, timeout ?? 0);
    if (this.waiter === null && this.waiters === null) this.waiter = w;
    else (this.waiters ??= []).push(w);
    if (timeout !== null && timeout !== undefined) timeouts.add(timeout, w);
    else w.settled = true;
  }

  private settle(): void {
    const first = this.waiter;
    const waiters = this.waiters;
    if (first !== null) {
      this.waiter = null;
      this.notify(first);
    }
    if (waiters !== null) {
      this.waiters = null;
      for (const w of waiters) this.notify(w);
    }
    const callbacks = this.callbacks;
    if (callbacks !== null) {
      this.callbacks = null;
      for (const [cell, m] of callbacks) cell.callback(m, this);
    }
  }
}

/** The actor whose method addCallback(method) calls: the one that made the ask, or the calling one; checked. */
function callbackOwner(made: ActorCell | null, method: string): ActorCell {
  const owner = made ?? currentCell();
  if (owner === null) {
    throw new FutureError(
      `addCallback('${method}') must be called inside an actor method: the callback is a method of the actor that made the ask`,
    );
  }
  if (typeof (owner.instance as Record<string, unknown>)[method] !== 'function') {
    throw new FutureError(`addCallback('${method}'): ${owner.def.name} (${owner.url}) has no method '${method}'`);
  }
  return owner;
}

/** The key under which an answered future (see {@link answered}) keeps the Future it answers for. */
const ANSWERED = Symbol('tsactor.answered');

/** An answered future: a native promise with the methods of a Future as its own properties. */
type Answered = Promise<unknown> & { [ANSWERED]: Future } & Pick<
    Future,
    'done' | 'running' | 'result' | 'exception' | 'addCallback' | 'toString'
  >;

function answeredDone(): boolean {
  return true;
}
function answeredRunning(): boolean {
  return false;
}
function answeredResult(this: Answered): Promise<unknown> {
  return this[ANSWERED].result();
}
function answeredException(): Promise<Error | null> {
  return Promise.resolve(null);
}
function answeredAddCallback(this: Answered, method: string): void {
  callbackOwner(this[ANSWERED]._owner, method).callback(method, this as unknown as Future);
}
function answeredToString(this: Answered): string {
  return this[ANSWERED].toString();
}

/**
 * The answer of `f`, answered with `value` before it was returned, as a native promise with
 * the methods of a Future as its own properties: `await` and `Promise.all` take it as it is
 * (one promise reaction), where a Future costs them a thenable job and two more promises.
 * It is `instanceof Future` (see Future[Symbol.hasInstance]). `value` is never a thenable
 * here: the answers made at once are proxies, which are not.
 */
function answered(f: Future, value: unknown): Answered {
  const p = Promise.resolve(value) as Answered;
  p[ANSWERED] = f;
  p.done = answeredDone;
  p.running = answeredRunning;
  p.result = answeredResult;
  p.exception = answeredException;
  p.addCallback = answeredAddCallback;
  p.toString = answeredToString;
  return p;
}

/**
 * @internal For transports that keep asks in a table until their answer comes: when a
 * wait for the answer of `reply` as long as the ask's own timeout (the proxy's, e.g.
 * `await proxy.m()`) times out and nothing else waits for it (no other waiter, no
 * addCallback), `hook(askId)` is called once and the future then fails with that
 * TimeoutError, so the transport can drop its entry. A shorter `result(seconds)` leaves the
 * ask going on. An ask nobody waits for, or without a timeout, is kept until answered or
 * its connection fails. Does nothing when `reply` is not a Future.
 */
export function onAskAbandoned(reply: Reply, askId: number, hook: (askId: number) => void): void {
  if (isFuture(reply)) {
    reply._askId = askId;
    reply._onAbandon = hook;
  }
}

/**
 * @internal For transports and runtimes: the actor that made the ask whose answer goes to
 * `reply` (proxies in the answer belong to it), or null when there is none or `reply` is
 * not a Future.
 */
export function askOwner(reply: Reply): ActorCell | null {
  return isFuture(reply) ? reply._owner : null;
}

/**
 * @internal For transports: the default timeout in seconds of the ask whose answer goes to
 * `reply` (null: none, or `reply` is not a Future).
 */
export function askTimeout(reply: Reply): number | null {
  return isFuture(reply) ? reply._timeout : null;
}

/**
 * @internal For messages: the method asked for by the ask whose answer goes to `reply`, or
 * `fallback` when `reply` is not a Future.
 */
export function askMethod(reply: Reply, fallback: string): string {
  return isFuture(reply) ? reply._method : fallback;
}

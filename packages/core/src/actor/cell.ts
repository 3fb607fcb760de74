/**
 * ActorCell: one actor instance with its mailbox. Handles messages strictly in arrival
 * order, one at a time; a method that returns a promise holds the mailbox until it
 * settles unless it is `@Parallel`.
 */
import { ActorError, HostDownError, MailboxFullError, NotFoundError } from '../errors';
import { Mailbox } from '../mailbox';
import type { ActorAddress, ActorChannel, Reply } from '../channel';
import { reportDeadLetter, reportError } from '../channel';
import { dispatcher, type Runnable } from '../dispatcher';
import { enterCell } from './current';
import { AT_ONCE, PARALLEL, REF, type ActorDefinition, type ActorDescription } from './metadata';
import type { SpawnedActor } from '../host/registry';
import { Future, isFuture } from '../future';
import { makeProxy, remakeRefs, type Proxy } from './proxy';
import type { LazyActorFields } from './actor-base';
import type { HostProxy } from '../host/types';
import { OVERFLOW_DROP_OLDEST, OVERFLOW_REJECT, type StopReason } from './options';
import { callHook, isThenable as isPromiseLike, reportHookError, TERMINATED, watchesOf } from './lifecycle';
import { supervise, type SupervisorState } from './supervision';
// ---- observation (OpenTelemetry, inspector): one hook in put and one in invoke, see ../observe/cell-hook.ts
import { observing } from '../observe/state';
import { invokeObserving, observeQueued } from '../observe/cell-hook';

/*
 * The lifecycle of a cell. Plain number constants with literal types (not an enum object):
 * the hot paths compare small integers, however the module is compiled.
 */
/** no messages to handle, not scheduled */
const IDLE = 0;
/** scheduled on the dispatcher: has messages to handle */
const QUEUED = 1;
/** inside a method that holds the mailbox until its promise settles */
const BLOCKED = 2;
/** stopped for good: messages are refused */
const STOPPED = 3;
/** waiting for a restart (backoff) or an async lifecycle hook: messages are queued, none handled */
const SUSPENDED = 4;
/** The state of a cell. */
type CellState = typeof IDLE | typeof QUEUED | typeof BLOCKED | typeof STOPPED | typeof SUSPENDED;

/*
 * What a mailbox entry is, stored in the entry beside its reply slot (a small integer: no
 * allocation, no marker objects). Only an ASK has a reply; a tell holds the function of its
 * method there when it is known (a method of the actor's class, found once per class: no
 * lookup by name when its turn comes), the others null.
 */
/** a tell: the args slot holds the arguments, the reply slot the method's function or null */
const TELL = 0;
/** an ask: the reply slot holds where the answer goes */
const ASK = 1;
/**
 * a tell of exactly one argument to a method known to the actor, whose args slot holds
 * that argument itself (a tell of one argument to an actor on this thread allocates no
 * array) and whose reply slot holds the method's function
 */
const TELL_ONE = 2;
/** a future callback: the args slot holds [future]; any method of the actor may be named */
const CALLBACK = 3;
/** The kind of a mailbox entry (@internal: for the observer hook). */
export type MessageKind = typeof TELL | typeof ASK | typeof TELL_ONE | typeof CALLBACK;

/** The third slot of a mailbox entry: an ask's reply, or a tell's method function (see the kinds). */
type Slot = Reply | Function;

/** How many asks {@link ActorCell}'s `inflight` holds. */
function inflightCount(f: Reply | Set<Reply>): number {
  return f instanceof Set ? f.size : 1;
}

/** The reply of a mailbox entry: its slot for an ASK, else none. */
function replyOf(slot: Slot | null, kind: MessageKind): Reply | null {
  return kind === ASK ? (slot as Reply | null) : null;
}

/** An ask to a `@Ref` method: proxies in its answer are re-made for the asking actor. */
function remakeResultRefs(reply: Future): void {
  reply._transform = remakeForOwner;
}

/** The transform of those asks: one shared function, called as a method of the future (no closure per ask). */
function remakeForOwner(this: Future, value: unknown): unknown {
  return remakeRefs(value, this._owner);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** The instance of a cell until its runtime sets it (one shared object: nothing allocated per cell). */
const NO_INSTANCE: object = Object.freeze({});

/**
 * What the actors a runtime makes for one host on this thread share (one object for all of
 * them, not fields of each: an idle actor stays small).
 */
export interface CellOrigin {
  /** the address of the actors' host, for their `host` field */
  readonly hostAddress: ActorAddress;
  /** the ask timeout in seconds of their `proxy` and `host` fields (null: none) */
  readonly timeout: number | null;
  /** told when one of them stops by itself (supervision): the host frees its id */
  readonly ended: ((id: string, channel: ActorChannel, reason: StopReason) => void) | undefined;
}

/** A cell is also the SpawnedActor a runtime returns for it (no wrapper object or closures per actor). */
export class ActorCell implements ActorChannel, Runnable, SpawnedActor, LazyActorFields {
  /** @internal the kinds of mailbox entries, for the observer hook */
  static readonly KIND = { TELL, ASK, TELL_ONE, CALLBACK } as const;

  queued = false;
  private state: CellState = IDLE;
  private idleWaiters: Array<() => void> | null = null;
  /** made on the first message: an idle actor costs no mailbox */
  private mailbox: Mailbox<Slot, MessageKind> | null = null;
  /**
   * asks whose async methods are still running (rejected if the host shuts down): the one ask
   * itself while it is the only one (the usual case: a method that holds the mailbox), a Set
   * of them while there are more (@Parallel methods)
   */
  private inflight: Reply | Set<Reply> | null = null;
  /** the mailbox bound (0: unbounded, the default) */
  private readonly capacity: number;
  /** @internal restart bookkeeping with the constructor arguments (actors of a class that restarts on failure) */
  supervisor: SupervisorState | null = null;
  /** @internal what the actor shares with the other actors its runtime made for its host (null: none) */
  origin: CellOrigin | null = null;

  constructor(
    readonly id: string,
    readonly url: string,
    readonly def: ActorDefinition,
    /** the base URL of the actor's host (e.g. `local://local:6666/`) */
    readonly hostBase: string,
  ) {
    this.capacity = def.options.mailbox?.capacity ?? 0;
  }

  /** the actor object; set once by the runtime right after construction */
  instance: object = NO_INSTANCE;

  /** LazyActorFields: the actor's `proxy` field, made on its first read */
  selfProxy(): Proxy<unknown> {
    return makeProxy(
      { url: this.url, base: this.hostBase, id: this.id, desc: this.def },
      { owner: this, timeout: this.origin?.timeout ?? 10 },
    );
  }

  /** LazyActorFields: the actor's `host` field, made on its first read */
  hostProxy(): HostProxy {
    const o = this.origin;
    if (o === null) throw new ActorError(`the runtime did not give ${this.url} its host's address`);
    return makeProxy(o.hostAddress, { owner: this, timeout: o.timeout }) as unknown as HostProxy;
  }

  get alive(): boolean {
    return this.state !== STOPPED;
  }

  /** SpawnedActor: the cell delivers its own messages */
  get channel(): this {
    return this;
  }

  /** SpawnedActor: the actor lives on this thread */
  get cell(): this {
    return this;
  }

  /** SpawnedActor: what proxies need to know of the actor */
  get desc(): ActorDescription {
    return this.def;
  }

  /** the number of messages waiting in the mailbox */
  get depth(): number {
    return this.mailbox === null ? 0 : this.mailbox.size;
  }

  get runnable(): boolean {
    return this.state === QUEUED && this.mailbox !== null && this.mailbox.size > 0;
  }

  /** Delivery from a proxy on this thread: `@Ref` arguments are re-made for this actor. */
  send(_target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    this.deliver(method, args, reply, undefined);
  }

  /**
   * @internal {@link send}, from a proxy that may know the method's flags and function (those
   * of the actor's own definition): no lookup of them.
   */
  deliver(method: string, args: unknown[], reply: Reply | null, knownFlags: number | undefined, knownFn?: Function): void {
    const flags = knownFlags ?? this.def.methods[method];
    if (flags !== undefined && flags & (REF | AT_ONCE)) {
      if (flags & REF) {
        args = remakeRefs(args, this) as unknown[];
        if (isFuture(reply)) remakeResultRefs(reply);
      }
      if (flags & AT_ONCE && reply !== null && this.state === IDLE) {
        this.runNow(method, args, reply);
        return;
      }
    }
    // a tell to a method of the actor carries its function; an unknown one is refused when its turn comes
    const slot = reply ?? (flags === undefined ? null : (knownFn ?? this.def.fns[method]!));
    this.put(method, args, slot, reply === null ? TELL : ASK);
  }

  /**
   * An {@link AT_ONCE} ask to an idle cell, handled now on the caller's stack, exactly as
   * the dispatcher would handle it next (nothing is queued before it). The cell counts as
   * queued meanwhile, so that what is sent to it from inside (an ask of the host from a
   * spawned actor's constructor) queues behind this ask, as it would have.
   */
  private runNow(method: string, args: unknown[], reply: Reply): void {
    this.state = QUEUED;
    try {
      this.invoke(method, args, reply, ASK);
    } finally {
      // a method that holds the mailbox (BLOCKED), a suspension or a stop go on by themselves
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- invoke() may have changed the state
      if (this.state === QUEUED) {
        if (this.mailbox !== null && this.mailbox.size > 0) dispatcher.schedule(this);
        else this.state = IDLE;
      }
      if (this.idleWaiters !== null && this.state !== QUEUED) this.notifyIdle();
    }
  }

  /** Delivery of a message whose arguments are ready as they are (decoded by a transport). */
  enqueue(method: string, args: unknown[], reply: Reply | null): void {
    this.put(method, args, reply, reply === null ? TELL : ASK);
  }

  /** Queues a message of any kind (`slot`: see the kinds), or refuses it once stopped. */
  private put(method: string, args: unknown[], slot: Slot | null, kind: MessageKind): void {
    // a stopped, observed or bounded actor is checked apart: the optimizing compiler inlines a
    // bounded amount of code into the method that sends, and this path is in it
    if (this.state === STOPPED || observing.on || this.capacity !== 0) {
      this.putChecked(method, args, slot, kind);
      return;
    }
    (this.mailbox ?? this.openMailbox()).push(method, args, slot, kind);
    if (this.state === IDLE) {
      this.state = QUEUED;
      dispatcher.schedule(this);
    }
  }

  /** The mailbox, made with the first message (an idle actor has none). */
  private openMailbox(): Mailbox<Slot, MessageKind> {
    return (this.mailbox = new Mailbox<Slot, MessageKind>(4));
  }

  /** {@link put} to a stopped actor (refused), while observing, or to a bounded mailbox. */
  private putChecked(method: string, args: unknown[], slot: Slot | null, kind: MessageKind): void {
    if (this.state === STOPPED) {
      this.refuse(method, kind === ASK ? (slot as Reply) : null, kind, this.stoppedError(method));
      return;
    }
    if (observing.on) args = observeQueued(args, kind); // observation hook
    const mailbox = this.mailbox ?? this.openMailbox();
    if (this.capacity !== 0 && mailbox.size >= this.capacity && !this.overflow(mailbox, method, slot, kind)) return;
    mailbox.push(method, args, slot, kind);
    if (this.state === IDLE) {
      this.state = QUEUED;
      dispatcher.schedule(this);
    }
  }

  /**
   * @internal Delivery of a tell of one argument from a proxy on this thread (no
   * arguments array); the same as `send(target, method, [arg], null)`.
   */
  tell1(method: string, arg: unknown, knownFlags: number | undefined, knownFn?: Function): void {
    const flags = knownFlags ?? this.def.methods[method];
    if (flags === undefined || flags & REF) {
      // `@Ref` arguments are re-made; an unknown method is refused when its turn comes
      this.deliver(method, [arg], null, flags);
      return;
    }
    // the args slot holds the argument itself, the reply slot the method's function; the TELL_ONE kind says so
    this.put(method, arg as unknown[], knownFn ?? this.def.fns[method]!, TELL_ONE);
  }

  /**
   * @internal A tell from a proxy of this actor's own definition to a method without `@Ref`:
   * its function is known and its arguments need nothing done (small, for the sending path).
   * `payload`: the one argument itself when `one` (no arguments array), else the arguments.
   */
  tellKnown(method: string, payload: unknown, one: boolean, fn: Function): void {
    this.put(method, payload as unknown[], fn, one ? TELL_ONE : TELL);
  }

  /** @internal {@link tellKnown} of an ask (not run at once: no `AT_ONCE`). */
  askKnown(method: string, args: unknown[], reply: Reply): void {
    this.put(method, args, reply, ASK);
  }

  /** @internal queues a future callback: `method` is called with the future. */
  callback(method: string, future: Future): void {
    this.put(method, [future], null, CALLBACK);
  }

  run(budget: number): number {
    let n = 0;
    const mailbox = this.mailbox;
    // observation hook: while observing, messages go through invokeObserving (checked once per run)
    const handle = observing.on ? invokeObserving : this.invoke;
    if (mailbox === null) {
      if (this.state === QUEUED) this.state = IDLE;
    } else {
      for (;;) {
        while (n < budget && this.state === QUEUED && mailbox.shiftRing(handle, this)) n++;
        if (this.state !== QUEUED) break;
        // the ring is empty or the budget spent: a backlog behind the ring comes in (looked for once per run, not per message)
        if (!mailbox.refill()) {
          this.state = IDLE;
          break;
        }
        if (n >= budget) break;
      }
    }
    if (this.idleWaiters !== null && this.state !== QUEUED) this.notifyIdle();
    return n;
  }

  /**
   * @internal True when the actor has nothing to do: no message queued, no method holding
   * the mailbox, no async ask under way (or it has stopped).
   */
  get quiet(): boolean {
    if (this.state === STOPPED) return true;
    return (
      this.state === IDLE &&
      (this.mailbox === null || this.mailbox.size === 0) &&
      (this.inflight === null || inflightCount(this.inflight) === 0)
    );
  }

  /** @internal Resolves once {@link quiet} (at once when it is). */
  whenQuiet(): Promise<void> {
    return new Promise((resolve) => this.onQuiet(resolve));
  }

  /**
   * Calls `fn` once quiet: it waits with the {@link quiesce} waiters, which are told each time
   * the mailbox stops being run (and when an async ask ends while idle), and looks again.
   */
  private onQuiet(fn: () => void): void {
    if (this.quiet) fn();
    else (this.idleWaiters ??= []).push(() => this.onQuiet(fn));
  }

  /**
   * @internal Takes every queued call not handled yet out of the mailbox, oldest first, as
   * (method, arguments, reply): for an owner that hands them elsewhere before stopping the
   * actor. Future callbacks and watch notifications stay queued.
   */
  takeQueued(into: (method: string, args: unknown[], reply: Reply | null) => void): void {
    const mailbox = this.mailbox;
    if (mailbox === null || mailbox.size === 0) return;
    const kept: Array<[string, unknown[], Slot | null, MessageKind]> = [];
    mailbox.drainAll((method, args, slot, kind) => {
      if (kind === CALLBACK || (kind === TELL && method === TERMINATED)) kept.push([method, args, slot, kind]);
      else if (kind === TELL_ONE) into(method, [args], null);
      else into(method, args, replyOf(slot, kind));
    });
    for (const [method, args, slot, kind] of kept) mailbox.push(method, args, slot, kind);
  }

  /**
   * Resolves once the actor has handled every message it can handle now: its mailbox is
   * empty, or it awaits inside a method that holds the mailbox. Resolves with false when
   * there was nothing to wait for.
   */
  quiesce(): Promise<boolean> {
    if (this.state !== QUEUED) return Promise.resolve(false);
    return new Promise((resolve) => (this.idleWaiters ??= []).push(() => resolve(true)));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = null;
    if (waiters !== null) for (const w of waiters) w();
  }

  /**
   * Stops the actor: queued asks reject with NotFoundError (stopActor, failure) or
   * HostDownError (host shutdown, which also rejects asks still running); then its
   * `onStop(reason)` runs. Returns the promise of an async `onStop` (whose errors are reported).
   */
  stop(reason: StopReason): void | Promise<void> {
    return this.end(reason, true);
  }

  /** {@link stop}, with `onStop` (`hooks`) or without. */
  private end(reason: StopReason, hooks: boolean): void | Promise<void> {
    if (this.state === STOPPED) return;
    this.state = STOPPED;
    this.supervisor?.cancel();
    if (this.idleWaiters !== null) this.notifyIdle();
    let droppedTells = 0;
    this.mailbox?.drainAll((method, _args, slot, kind) => {
      const reply = replyOf(slot, kind);
      if (reply !== null) reply.reject(this.stoppedError(method, reason));
      else droppedTells++;
    });
    if (reason !== 'stopped' && reason !== 'failed' && this.inflight !== null) {
      const running = this.inflight instanceof Set ? [...this.inflight] : [this.inflight];
      this.inflight = null;
      for (const r of running) r.reject(this.stoppedError('?', reason));
    }
    if (droppedTells > 0) {
      reportError(new ActorError(`${droppedTells} queued tell(s) to ${this.url} were not handled: ${stopWhy(reason)}`), {
        actor: this.url,
        method: 'stop',
        kind: 'internal',
      });
    }
    if (!hooks) return;
    let r: unknown;
    try {
      r = callHook(this, this.instance, 'onStop', reason);
    } catch (e) {
      reportHookError(this, 'onStop', e);
      return;
    }
    if (isPromiseLike(r)) {
      return Promise.resolve(r).then(
        () => undefined,
        (e: unknown) => reportHookError(this, 'onStop', e),
      );
    }
  }

  /** @internal ends a cell whose `onStart` failed: no `onStop`, nothing reported. */
  discard(): void {
    void this.end('stopped', false);
  }

  /**
   * @internal the actor stops by itself after failing (supervision): its host is told
   * (its id is freed, its watchers learn 'failed').
   */
  stopFailed(): void {
    if (this.state === STOPPED) return;
    const done = this.stop('failed');
    const ended = this.origin?.ended;
    if (ended === undefined) return;
    if (done === undefined) ended(this.id, this, 'failed');
    else void done.then(() => ended(this.id, this, 'failed'));
  }

  /** @internal the mailbox waits (restart backoff, async lifecycle hook): messages queue, none is handled. */
  suspend(): void {
    if (this.state !== STOPPED) this.state = SUSPENDED;
  }

  /** @internal the mailbox goes on after {@link suspend}. */
  resume(): void {
    if (this.state !== SUSPENDED) return;
    this.state = BLOCKED;
    this.unblock();
  }

  /**
   * A message to a full mailbox (only called when a capacity is set): true when it may be
   * queued now (the oldest was dropped to make room, or it is a watch notification, which is
   * never dropped). A refused or dropped ask rejects with MailboxFullError; a refused or
   * dropped tell is a dead letter.
   */
  private overflow(mailbox: Mailbox<Slot, MessageKind>, method: string, slot: Slot | null, kind: MessageKind): boolean {
    if (method === TERMINATED || kind === CALLBACK) return true;
    const policy = this.def.options.mailbox!.overflow;
    if (policy === OVERFLOW_DROP_OLDEST) {
      mailbox.shift(this.dropOldest, this);
      return true;
    }
    const error = new MailboxFullError(
      `the mailbox of ${this.url} is full (${this.capacity} messages); ${method}() was ${policy === OVERFLOW_REJECT ? 'refused' : 'dropped'}. ` +
        `Send less, or give ${this.def.name} a larger mailbox ({ mailbox: { capacity } })`,
    );
    const reason = policy === OVERFLOW_REJECT ? 'mailbox-full' : 'overflow';
    const reply = replyOf(slot, kind);
    if (reply !== null) {
      reply.reject(error);
      if (policy !== OVERFLOW_REJECT) reportDeadLetter({ target: this.url, method, kind: 'ask', reason, count: 1, error });
    } else {
      reportDeadLetter({ target: this.url, method, kind: 'tell', reason, count: 1, error });
    }
    return false;
  }

  /** The oldest message, dropped by 'drop-oldest' (a method: no closure per drop). */
  private dropOldest(method: string, _args: unknown[], slot: Slot | null, kind: MessageKind): void {
    const error = new MailboxFullError(
      `the mailbox of ${this.url} is full (${this.capacity} messages); the oldest message, ${method}(), was dropped to make room`,
    );
    replyOf(slot, kind)?.reject(error);
    reportDeadLetter({ target: this.url, method, kind: kind === ASK ? 'ask' : 'tell', reason: 'overflow', count: 1, error });
  }

  /**
   * A watched actor ended (the TERMINATED message, [url, reason]): `onTerminated(ref, reason)`
   * runs through the mailbox, once per watch (a watch undone meanwhile is not reported).
   */
  private terminated(args: unknown[]): void {
    const url = args[0];
    const watching = watchesOf.get(this);
    const ref = typeof url === 'string' ? watching?.get(url) : undefined;
    if (ref === undefined) return;
    watching!.delete(url as string);
    if (typeof (this.instance as { onTerminated?: unknown }).onTerminated !== 'function') {
      reportError(
        new ActorError(
          `${this.def.name} (${this.url}) watches ${String(url)} but has no onTerminated(ref, reason) method to be told that it ended`,
        ),
        { actor: this.url, method: 'onTerminated', kind: 'callback' },
      );
      return;
    }
    this.invoke('onTerminated', [ref, args[1]], null, CALLBACK);
  }

  private stoppedError(method: string, reason: StopReason = 'stopped'): Error {
    if (reason === 'shutdown') return new HostDownError(`the host of ${this.url} was shut down; ${method}() was not handled`);
    if (reason === 'host-down') return new HostDownError(`the host of ${this.url} is down; ${method}() was not handled`);
    return new NotFoundError(
      `actor ${this.url} was ${reason === 'failed' ? 'stopped after failing' : 'stopped'}; ${method}() was not handled`,
    );
  }

  /** A message that is not handled: an ask rejects with `error`; for the others it is reported. */
  private refuse(method: string, reply: Reply | null, kind: MessageKind, error: Error): void {
    if (kind === ASK && reply !== null) reply.reject(error);
    else reportError(error, { actor: this.url, method, kind: kind === CALLBACK ? 'callback' : 'tell' });
  }

  /**
   * @internal handles one message (a method, not a closure per cell: an idle actor stays
   * small); the observer hook calls it with the message unwrapped
   */
  invoke(method: string, args: unknown[], slot: Slot | null, kind: MessageKind): void {
    // a tell carries its method's function when the method is the actor's (see the kinds): no
    // lookup; a callback may name any method of the actor
    let fn = kind === TELL_ONE || kind === TELL ? (slot as Function | null) : null;
    const reply = kind === ASK ? (slot as Reply | null) : null;
    if (fn === null && (fn = this.lookup(method, args, reply, kind)) === null) return;
    const prev = enterCell(this);
    let result: unknown;
    try {
      result = kind === TELL_ONE ? fn.call(this.instance, args) : callWith(fn, this.instance, args);
    } catch (e) {
      enterCell(prev);
      this.fail(method, reply, kind, e);
      return;
    }
    enterCell(prev);
    if (isThenable(result)) this.later(result, method, reply, kind, this.def.methods[method]);
    else if (reply !== null) reply.resolve(result);
  }

  /**
   * The function of a message that does not carry it (an ask, a callback, a tell to a name the
   * actor's definition lacks), or null when the message was handled here: refused, or the end
   * of a watched actor. Apart from {@link invoke}, whose common case stays small.
   */
  private lookup(method: string, args: unknown[], reply: Reply | null, kind: MessageKind): Function | null {
    const fn: unknown =
      kind === CALLBACK
        ? (this.instance as Record<string, unknown>)[method]
        : this.def.methods[method] !== undefined
          ? this.def.fns[method]
          : undefined;
    if (typeof fn === 'function') return fn;
    this.noFunction(method, args, reply, kind);
    return null;
  }

  /** A message {@link lookup} found no function for: the end of a watched actor, or refused. */
  private noFunction(method: string, args: unknown[], reply: Reply | null, kind: MessageKind): void {
    if (kind !== CALLBACK && this.def.methods[method] === undefined) {
      if (method === TERMINATED && kind === TELL) this.terminated(args);
      else {
        const e = new ActorError(`${this.def.name} (${this.url}) has no @Tell or @Ask method '${method}'`, { code: 'UNKNOWN_METHOD' });
        this.refuse(method, reply, kind, e);
      }
      return;
    }
    this.refuse(method, reply, kind, new ActorError(`${this.def.name}.${method} is not a function`, { code: 'UNKNOWN_METHOD' }));
  }

  /**
   * A method returned a promise: answer when it settles (in its own function, so that
   * invoke itself makes no closures and allocates no context per message).
   */
  private later(result: PromiseLike<unknown>, method: string, reply: Reply | null, kind: MessageKind, flags: number | undefined): void {
    if (reply !== null) this.running(reply);
    if (flags !== undefined && flags & PARALLEL) {
      result.then(
        (v) => this.finish(reply, v),
        (e: unknown) => this.fail(method, reply, kind, e),
      );
    } else {
      this.state = BLOCKED;
      result.then(
        (v) => {
          this.finish(reply, v);
          this.unblock();
        },
        (e: unknown) => {
          this.fail(method, reply, kind, e);
          this.unblock();
        },
      );
    }
  }

  /** Records an ask whose async method runs (see {@link inflight}). */
  private running(reply: Reply): void {
    const f = this.inflight;
    if (f === null) this.inflight = reply;
    else if (f instanceof Set) f.add(reply);
    else this.inflight = new Set([f, reply]);
  }

  /** An ask whose async method ran is answered: it is no longer in flight. */
  private ended(reply: Reply): void {
    const f = this.inflight;
    if (f === reply) this.inflight = null;
    else if (f instanceof Set) f.delete(reply);
  }

  private finish(reply: Reply | null, value: unknown): void {
    if (reply === null) return;
    this.ended(reply);
    reply.resolve(value);
    if (this.idleWaiters !== null && this.state === IDLE) this.notifyIdle();
  }

  /** A method threw or its promise rejected: an ask rejects with the error; for the others it is reported. */
  private fail(method: string, reply: Reply | null, kind: MessageKind, error: unknown): void {
    if (kind === ASK && reply !== null) {
      this.ended(reply);
      reply.reject(error);
      if (this.idleWaiters !== null && this.state === IDLE) this.notifyIdle();
    } else {
      reportError(error, { actor: this.url, method, kind: kind === CALLBACK ? 'callback' : 'tell' });
    }
    const s = this.def.options.supervision;
    if (s !== undefined) supervise(this, s, error);
  }

  private unblock(): void {
    if (this.state !== BLOCKED) return;
    if (this.mailbox !== null && this.mailbox.size > 0) {
      this.state = QUEUED;
      dispatcher.schedule(this);
    } else {
      this.state = IDLE;
      if (this.idleWaiters !== null) this.notifyIdle();
    }
  }
}

/** The end of a sentence saying why queued tells were not handled. */
function stopWhy(reason: StopReason): string {
  if (reason === 'stopped') return 'the actor was stopped';
  if (reason === 'failed') return 'the actor stopped after failing';
  if (reason === 'shutdown') return 'the actor was shut down with its host';
  return 'the host of the actor is down';
}

/**
 * `fn.apply(self, args)`, with the short argument lists spelled out: `call` is inlined where
 * `apply` goes through the generic spread of an array (about 3.5 ns a message in a run of tells).
 */
function callWith(fn: Function, self: unknown, args: unknown[]): unknown {
  switch (args.length) {
    case 0:
      return fn.call(self);
    case 1:
      return fn.call(self, args[0]);
    case 2:
      return fn.call(self, args[0], args[1]);
    default:
      return fn.apply(self, args);
  }
}

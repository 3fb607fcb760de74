/**
 * A link between two threads (the main thread and a worker, or two workers): one message
 * port carrying batches. Messages are appended to a flat array (a few slots per message, no
 * object per message) and the array is posted once per microtask, or as soon as it holds
 * MAX_BATCH slots, so a burst of tells costs one postMessage per few thousand messages.
 * A received batch is handled at once: its messages are delivered, this thread's actors
 * run them, and what that sends back on the link is posted before `receive` returns.
 * Asks get a numeric reply id; their answers come back on the same link, in order.
 *
 * Messages carry no strings of their own: an actor is named by its handle (a number the
 * worker gave it at spawn), a method by a number this link gave its name the first time
 * (a NAME message before it). So the receiver neither hashes nor internalizes a string per
 * message, and `instance[method]` finds the method with a string it has seen before.
 *
 * Arguments of tells and asks are inlined (a count, then the arguments), so a message with
 * plain arguments is a handful of numbers and strings: no array per message to clone.
 *
 * Batch layout (each message is an opcode and its slots):
 *   TELL  handle method n a1..an   ASK  handle method rid n a1..an (to an actor of the peer)
 *   RTELL url desc method args     RASK url desc method args rid   (to the main thread's router)
 *   OK rid value                   ERR rid error                   (answers)
 *   NAME code name                 (`code` stands for the method `name` from now on)
 *   CALL name payload rid          (runtime control; rid 0 when no answer is wanted)
 *   REPORT error info              (an error reported in a worker, for the main thread's handler)
 *   TRACE traceparent sender       (only while observing: the trace context and sender of the
 *                                   TELL, ASK, RTELL or RASK that follows)
 */
import type { Transferable } from 'node:worker_threads';
import {
  ActorError,
  askOwner,
  HostDownError,
  REF,
  decodeValue,
  encodeValue,
  reportError,
  toError,
  type ActorAddress,
  type ActorChannel,
  type ActorDescription,
  type EncodeOptions,
  type ErrorHandler,
  type Reply,
} from '@tsactor/core/internal';
import {
  adopt,
  dispatcher,
  isForeign,
  observing,
  PendingAsks,
  clearIncoming,
  currentTraceparent,
  senderUrl,
  setIncoming,
} from '@tsactor/core/internal';

/** The observation switch, read once per message (the object, held here: one load less per read). */
const observe: { on: boolean } = observing;

export const TELL = 1;
export const ASK = 2;
export const OK = 3;
export const ERR = 4;
export const RTELL = 5;
export const RASK = 6;
export const CALL = 7;
export const REPORT = 8;
export const NAME = 9;
export const TRACE = 10;

/**
 * Slots after which a batch is posted at once instead of at the end of the microtask (about
 * 4,000 messages). TSACTOR_THREADS_BATCH=<messages> changes it; 1 posts every message on its
 * own (the benchmarks' baseline).
 */
const MAX_BATCH = batchLimit(process.env.TSACTOR_THREADS_BATCH);

function batchLimit(env: string | undefined): number {
  const n = env === undefined || env === '' ? NaN : Number(env);
  return Number.isInteger(n) && n >= 1 ? n * 4 : 16_384;
}

/** a reaction on a settled promise is a microtask without queueMicrotask's per-call AsyncResource */
const SETTLED = Promise.resolve();

export type ReportInfo = Parameters<ErrorHandler>[1];

/** What a link can post to: a MessagePort, a Worker, or a worker's parentPort. */
export interface LinkPort {
  postMessage(value: unknown, transferList?: readonly Transferable[]): void;
}

/** What the owner of a link does with the messages that are not answers. */
export interface LinkHandler {
  /** a tell (rid 0) or an ask for an actor of this thread, by handle; `args` still encoded */
  deliver(link: Link, handle: number, method: string, args: unknown[], rid: number): void;
  /** a message for any address, to be resolved by this thread's router; `args` still encoded */
  route(link: Link, url: string, desc: ActorDescription, method: string, args: unknown, rid: number): void;
  /** a control call; answer with link.answer/fault when rid is not 0 */
  call(link: Link, name: string, payload: unknown, rid: number): void;
  /** an error reported on the other side */
  report(link: Link, error: unknown, info: ReportInfo): void;
}

const encodeCache = new WeakMap<ActorDescription, Map<string, EncodeOptions>>();

/** How the arguments (and result) of `desc.method` are encoded: proxies only for `@Ref` methods. */
export function encodeOptions(desc: ActorDescription, method: string): EncodeOptions {
  let byMethod = encodeCache.get(desc);
  if (byMethod === undefined) encodeCache.set(desc, (byMethod = new Map<string, EncodeOptions>()));
  let o = byMethod.get(method);
  if (o === undefined) {
    const flags = desc.methods[method];
    o = { refs: flags !== undefined && (flags & REF) !== 0, where: `${desc.name}.${method}` };
    byMethod.set(method, o);
  }
  return o;
}

const wireDescs = new WeakMap<ActorDescription, ActorDescription>();

/** The part of a description that travels (an ActorDefinition also holds its class). */
export function wireDesc(desc: ActorDescription): ActorDescription {
  let d = wireDescs.get(desc);
  if (d === undefined) wireDescs.set(desc, (d = { name: desc.name, methods: { ...desc.methods } }));
  return d;
}

function encodeError(error: unknown, where: string): unknown {
  try {
    return encodeValue(error, { refs: false, where });
  } catch {
    return encodeValue(toError(error), { refs: false, where });
  }
}

/** A promise with its settle functions, for control calls. */
class CallReply implements Reply {
  resolve!: (v: unknown) => void;
  reject!: (e: unknown) => void;
  readonly promise = new Promise<unknown>((ok, fail) => {
    this.resolve = ok;
    this.reject = fail;
  });
}

export class Link {
  private out: unknown[] = [];
  private transfer: Transferable[] | null = null;
  private scheduled = false;
  private readonly pending = new PendingAsks<Reply>();
  private nextRid = 0;
  private foreign = false;
  private checked = false;
  /** method names sent, by the code this link gave them */
  private readonly codes = new Map<string, number>();
  /** method names received, by code */
  private readonly names: string[] = [];
  /** why this link can no longer deliver; null while it works */
  down: Error | null = null;
  /** told when the link starts (true) or stops (false) waiting for answers */
  onBusy: ((busy: boolean) => void) | null = null;

  constructor(
    private readonly port: LinkPort,
    private readonly handler: LinkHandler,
    /** the ask timeout of proxies made from references that arrive here */
    readonly timeout: number | null,
    /** names the peer in messages */
    readonly peer: string,
  ) {}

  // ---- sending

  /** While observing: the trace context and sender of the message pushed next. */
  private trace(): void {
    const tp = currentTraceparent();
    const sender = senderUrl();
    if (tp !== '' || sender !== '') this.out.push(TRACE, tp, sender);
  }

  tell(handle: number, method: string, args: unknown[]): void {
    const code = this.code(method);
    if (observe.on) this.trace(); // after a NAME message, right before the message it is of
    const out = this.out;
    const n = args.length;
    out.push(TELL, handle, code, n);
    for (let i = 0; i < n; i++) out.push(args[i]);
    this.schedule();
  }

  ask(handle: number, method: string, args: unknown[], reply: Reply): void {
    const code = this.code(method);
    if (observe.on) this.trace(); // after a NAME message, right before the message it is of
    const out = this.out;
    const n = args.length;
    out.push(ASK, handle, code, this.track(reply), n);
    for (let i = 0; i < n; i++) out.push(args[i]);
    this.schedule();
  }

  routeTell(url: string, desc: ActorDescription, method: string, args: unknown): void {
    const code = this.code(method);
    if (observe.on) this.trace(); // after a NAME message, right before the message it is of
    this.out.push(RTELL, url, desc, code, args);
    this.schedule();
  }

  routeAsk(url: string, desc: ActorDescription, method: string, args: unknown, reply: Reply): void {
    const code = this.code(method);
    if (observe.on) this.trace(); // after a NAME message, right before the message it is of
    this.out.push(RASK, url, desc, code, args, this.track(reply));
    this.schedule();
  }

  /** The code of a method name on this link (sent ahead of its first use). */
  private code(name: string): number {
    let c = this.codes.get(name);
    if (c === undefined) {
      c = this.codes.size;
      this.codes.set(name, c);
      this.out.push(NAME, c, name);
    }
    return c;
  }

  /** A control call; resolves with the peer's answer (rejects when the link goes down). */
  call(name: string, payload: unknown, transfer?: Transferable[]): Promise<unknown> {
    const r = new CallReply();
    if (this.down !== null) return Promise.reject(this.down);
    this.out.push(CALL, name, payload, this.track(r));
    this.addTransfer(transfer);
    this.schedule();
    return r.promise;
  }

  /** A control message that wants no answer. */
  notify(name: string, payload: unknown, transfer?: Transferable[]): void {
    if (this.down !== null) return;
    this.out.push(CALL, name, payload, 0);
    this.addTransfer(transfer);
    this.schedule();
  }

  report(error: unknown, info: ReportInfo): void {
    this.out.push(REPORT, encodeError(error, info.method), { actor: info.actor, method: info.method, kind: info.kind });
    this.schedule();
  }

  /** Answers ask `rid` with `value` (encoded with `enc`; an encoding failure is sent as the error). */
  answer(rid: number, value: unknown, enc: EncodeOptions): void {
    if (this.down !== null) return;
    let v: unknown;
    try {
      v = encodeValue(value, enc);
    } catch (e) {
      this.fault(rid, e, enc.where);
      return;
    }
    this.out.push(OK, rid, v);
    this.schedule();
  }

  /** Answers ask `rid` with an error. */
  fault(rid: number, error: unknown, where: string): void {
    if (this.down !== null) return;
    this.out.push(ERR, rid, encodeError(error, where));
    this.schedule();
  }

  /** Posts what is queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.out.length === 0) return;
    const batch = this.out;
    const transfer = this.transfer;
    this.out = [];
    this.transfer = null;
    if (this.down !== null) return;
    try {
      if (transfer === null) this.port.postMessage(batch);
      else this.port.postMessage(batch, transfer);
    } catch (e) {
      this.salvage(batch, e);
    }
  };

  /**
   * Marks the link down: every ask waiting on it rejects with `error` (a HostDownError),
   * and later sends fail at once.
   */
  fail(error: Error): void {
    if (this.down !== null) return;
    this.down = error;
    this.out = [];
    this.transfer = null;
    const pending = this.pending.drain();
    if (pending.length > 0) this.onBusy?.(false);
    for (const r of pending) r.reject(error);
  }

  /** the number of asks waiting for an answer */
  get waiting(): number {
    return this.pending.size;
  }

  /** Removes and returns the waiting ask `rid` (undefined: none); the link is no longer busy once none waits. */
  private takeAsk(rid: number): Reply | undefined {
    const r = this.pending.take(rid);
    if (r !== undefined && this.pending.size === 0) this.onBusy?.(false);
    return r;
  }

  private track(reply: Reply): number {
    const rid = ++this.nextRid;
    this.pending.set(rid, reply);
    if (this.pending.size === 1) this.onBusy?.(true);
    return rid;
  }

  private addTransfer(transfer: Transferable[] | undefined): void {
    if (transfer === undefined || transfer.length === 0) return;
    (this.transfer ??= []).push(...transfer);
  }

  private schedule(): void {
    if (this.out.length >= MAX_BATCH) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      void SETTLED.then(this.flush);
    }
  }

  /**
   * A batch that structured clone refused (a value the codec let through but postMessage
   * cannot carry): posts its messages one by one so that only the bad ones fail.
   */
  private salvage(batch: unknown[], error: unknown): void {
    for (let i = 0; i < batch.length;) {
      const size = sizeAt(batch, i);
      const one = batch.slice(i, i + size);
      try {
        this.port.postMessage(one);
      } catch {
        const op = one[0];
        const rid = op === ASK || op === CALL ? one[3] : op === RASK ? one[5] : 0;
        const code = op === ASK || op === TELL ? one[2] : op === RASK || op === RTELL ? one[3] : undefined;
        const what = code !== undefined ? `${[...this.codes].find(([, c]) => c === code)?.[0] ?? 'a method'}()` : 'a message';
        const e = new ActorError(`${what} could not be sent to ${this.peer}: ${(error as Error).message}`, { code: 'NOT_SERIALIZABLE' });
        if (op === OK || op === ERR) {
          try {
            this.port.postMessage([ERR, one[1], encodeError(e, 'answer')]);
          } catch {
            // nothing more can be done for this answer
          }
        } else if (typeof rid === 'number' && rid !== 0) {
          this.takeAsk(rid)?.reject(e);
        } else {
          reportError(e, { actor: this.peer, method: 'postMessage', kind: 'internal' });
        }
      }
      i += size;
    }
  }

  // ---- receiving

  /** Handles a batch posted by the peer. */
  receive(batch: unknown[]): void {
    if (!this.checked) {
      this.checked = true;
      this.foreign = isForeign(batch);
    }
    const h = this.handler;
    const n = batch.length;
    let i = 0;
    while (i < n) {
      const op = batch[i] as number;
      const at = i;
      const size = sizeAt(batch, i);
      i += size;
      try {
        switch (op) {
          case TELL:
            h.deliver(
              this,
              batch[at + 1] as number,
              this.names[batch[at + 2] as number]!,
              this.args(batch, at + 4, batch[at + 3] as number),
              0,
            );
            break;
          case ASK:
            h.deliver(
              this,
              batch[at + 1] as number,
              this.names[batch[at + 2] as number]!,
              this.args(batch, at + 5, batch[at + 4] as number),
              batch[at + 3] as number,
            );
            break;
          case NAME:
            this.names[batch[at + 1] as number] = batch[at + 2] as string;
            break;
          case OK:
            this.settle(batch[at + 1] as number, batch[at + 2], true);
            break;
          case ERR:
            this.settle(batch[at + 1] as number, batch[at + 2], false);
            break;
          case RTELL:
          case RASK:
            h.route(
              this,
              batch[at + 1] as string,
              this.adopted(batch[at + 2]) as ActorDescription,
              this.names[batch[at + 3] as number]!,
              this.adopted(batch[at + 4]),
              op === RASK ? (batch[at + 5] as number) : 0,
            );
            break;
          case CALL:
            h.call(this, batch[at + 1] as string, this.adopted(batch[at + 2]), batch[at + 3] as number);
            break;
          case REPORT:
            h.report(this, this.adopted(batch[at + 1]), this.adopted(batch[at + 2]) as ReportInfo);
            break;
          case TRACE:
            // the message that follows is handed over as the child of this context
            observe.on = true;
            setIncoming(batch[at + 1] as string, '', batch[at + 2] as string);
            continue;
          default:
            throw new ActorError(`malformed batch from ${this.peer}: unknown opcode ${String(op)}`, { code: 'MALFORMED' });
        }
      } catch (e) {
        reportError(e, { actor: this.peer, method: 'message from another thread', kind: 'internal' });
        if (size === 0) return;
      }
      if (observe.on) clearIncoming();
    }
    // the actors of this thread handle what came now, and their answers leave in this turn
    dispatcher.runNow();
    if (this.out.length > 0) this.flush();
  }

  private adopted(v: unknown): unknown {
    return this.foreign ? adopt(v) : v;
  }

  /** The `n` inlined arguments starting at `from`, as an array of this realm. */
  private args(batch: unknown[], from: number, n: number): unknown[] {
    const args = new Array<unknown>(n);
    if (this.foreign) for (let k = 0; k < n; k++) args[k] = adopt(batch[from + k]);
    else for (let k = 0; k < n; k++) args[k] = batch[from + k];
    return args;
  }

  private settle(rid: number, value: unknown, ok: boolean): void {
    const reply = this.takeAsk(rid);
    if (reply === undefined) return;
    // the actor that asked: proxies in the answer belong to it
    const owner = askOwner(reply);
    let v: unknown;
    try {
      v = decodeValue(this.adopted(value), { owner, timeout: this.timeout });
    } catch (e) {
      reply.reject(e);
      return;
    }
    if (ok) reply.resolve(v);
    else reply.reject(v);
  }
}

/** The number of slots of the message at `i` (0 for an unknown opcode). */
function sizeAt(batch: unknown[], i: number): number {
  switch (batch[i]) {
    case TELL:
      return 4 + (batch[i + 3] as number);
    case ASK:
      return 5 + (batch[i + 4] as number);
    case OK:
    case ERR:
    case REPORT:
    case NAME:
    case TRACE:
      return 3;
    case RTELL:
      return 5;
    case RASK:
      return 6;
    case CALL:
      return 4;
    default:
      return 0;
  }
}

/** The answer slot of an ask that arrived on a link: answers go back on it. */
export class LinkReply implements Reply {
  constructor(
    private readonly link: Link,
    private readonly rid: number,
    private readonly enc: EncodeOptions,
  ) {}
  resolve(value: unknown): void {
    this.link.answer(this.rid, value, this.enc);
  }
  reject(error: unknown): void {
    this.link.fault(this.rid, error, this.enc.where);
  }
}

/** The error of a message that cannot be delivered because its link is down. */
export function downError(down: Error, target: ActorAddress, method: string): HostDownError {
  return new HostDownError(`${down.message} (${method}() of ${target.url} was not delivered)`, { cause: down });
}

/** Fails one message: an ask rejects, a tell is reported. */
export function failMessage(target: ActorAddress, method: string, reply: Reply | null, error: Error): void {
  if (reply !== null) reply.reject(error);
  else reportError(error, { actor: target.url, method, kind: 'tell' });
}

/**
 * Encodes the arguments of a message leaving this thread. A proxy given to a method
 * without `@Ref` (or any value that cannot travel) is refused: an ask rejects with the
 * error, a tell throws it at the caller.
 */
export function encodeArgs(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): unknown[] | null {
  try {
    // the common case first: arguments that are all numbers, strings, booleans or null go as they are
    let plain = true;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const t = typeof a;
      if (a !== null && t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'undefined' && t !== 'bigint') {
        plain = false;
        break;
      }
    }
    if (plain) return args;
    return encodeValue(args, encodeOptions(target.desc, method)) as unknown[];
  } catch (e) {
    if (reply === null) throw e;
    reply.reject(e);
    return null;
  }
}

/** Delivers to one actor of the thread at the other end of a link, by its handle there. */
export class LinkChannel implements ActorChannel {
  alive = true;
  constructor(
    readonly link: Link,
    readonly handle: number,
  ) {}

  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    const down = this.link.down;
    if (down !== null) {
      failMessage(target, method, reply, downError(down, target, method));
      return;
    }
    const encoded = encodeArgs(target, method, args, reply);
    if (encoded === null) return;
    this.sendEncoded(target, method, encoded, reply);
  }

  /** Sends arguments already encoded. */
  sendEncoded(target: ActorAddress, method: string, encoded: unknown[], reply: Reply | null): void {
    const down = this.link.down;
    if (down !== null) failMessage(target, method, reply, downError(down, target, method));
    else if (reply === null) this.link.tell(this.handle, method, encoded);
    else this.link.ask(this.handle, method, encoded, reply);
  }
}

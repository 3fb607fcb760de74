/**
 * The connection of this process to one RabbitMQ broker, shared by every amqp:// host of
 * the process and every outbound channel to amqp:// hosts.
 *
 * Publishing: every batch of envelopes for a host is one persistent AMQP message,
 * published with `mandatory` on a confirm channel to the host's durable queue. A message
 * stays in this node (queued, then unconfirmed) until the broker confirms it. When the
 * connection is lost, the unconfirmed messages go back to the front of the queue, and the
 * queue is published again, in order, once the node has reconnected; tells sent meanwhile
 * wait in the queue. Receivers drop the copies that arrive twice (see dedup.ts).
 *
 * Asks: a pending ask waits here for its answer on the process's reply queue. It rejects
 * with HostDownError at once when the connection to the broker is lost, when its message
 * comes back unroutable (no host has that queue), or when a probe of the target host's
 * queue (every PROBE_INTERVAL while asks are pending) finds that nothing consumes it any
 * more (the host's process died).
 */
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import {
  ActorError,
  EnvelopeKind,
  askOwner,
  askTimeout,
  HostDownError,
  decodeFrame,
  encodeBatch,
  reportError,
  toError,
  unpackError,
  unpackValue,
  type ActorCell,
  type Envelope,
  type Reply,
} from '@tsactor/core/internal';
import { explainBrokerFailure, scrub, type BrokerConfig } from './config';
import { Fifo, bounded } from './fifo';
import { baseOfQueue } from './names';

/** Largest batch or envelope (bytes) sent; larger values are refused with an error. */
export const MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/** Messages published and not yet confirmed, at most. */
const MAX_INFLIGHT = 1024;
/** Milliseconds between probes of hosts that have pending asks. */
const PROBE_INTERVAL = 400;
/** Longest wait (ms) between two reconnection attempts. */
const MAX_RECONNECT_DELAY = 1000;
/** Milliseconds that close() waits for queued messages to be confirmed. */
const CLOSE_FLUSH_TIMEOUT = 5000;
/** Extra milliseconds a pending ask is kept after its timeout (its answer is then dropped). */
const ASK_GRACE = 30_000;

const EMPTY = Buffer.alloc(0);

/** A sender: the publishing side of one outbound channel. Its messages are numbered 1, 2, 3 ... */
export class SenderState {
  seq = 0;
  /** its messages not yet confirmed, in order */
  readonly outstanding = new Fifo<OutMessage>();
  constructor(readonly id: string) {}

  /** the lowest sequence number it may still publish again */
  floor(): number {
    const o = this.outstanding;
    while (o.length > 0 && o.peek()!.done) o.shift();
    return o.length > 0 ? o.peek()!.seq : this.seq + 1;
  }
}

/** One AMQP message: a batch of envelopes for one host. */
export interface OutMessage {
  readonly sender: SenderState;
  readonly seq: number;
  readonly queue: string;
  body: Buffer;
  /** the encoded envelopes, kept while the batch holds asks (to send it again without them) */
  parts: Uint8Array[] | null;
  /** indexes in `parts` of the asks */
  askParts: number[] | null;
  /** the shared secret of the sending host, if any */
  readonly token: string | undefined;
  /** delivery tag on the current confirm channel */
  tag: number;
  /** confirmed by the broker (or given up) */
  done: boolean;
}

/** An ask waiting for its answer. */
interface PendingAsk {
  readonly reply: Reply;
  readonly queue: string;
  readonly url: string;
  readonly method: string;
  readonly owner: ActorCell | null;
  readonly decodeTimeout: number | null;
  /** performance.now() after which the entry is dropped */
  readonly expires: number;
}

/** What the node needs of a served host. */
export interface Listener {
  /** (re)starts consuming on a fresh connection */
  attach(conn: ChannelModel, first: boolean): Promise<void>;
  /** the connection is gone */
  detach(): void;
}

/** What the node needs of an outbound channel. */
export interface Outbound {
  /** publishes its pending batch now */
  flush(): void;
  /** the node is closed */
  dead(): void;
}

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

/** Counters, for tests and diagnostics. */
export interface NodeStats {
  connects: number;
  disconnects: number;
  published: number;
  republished: number;
  confirmed: number;
  returned: number;
  asksRejectedOnOutage: number;
  /** messages received a second time and dropped (served hosts) */
  duplicates: number;
}

export class AmqpNode {
  state: State = 'idle';
  private everUp = false;
  private closing = false;
  private conn: ChannelModel | null = null;
  private pub: ConfirmChannel | null = null;
  private replyPub: Channel | null = null;
  private probeCh: Promise<Channel> | null = null;
  /** the reply queue of this process on the current connection */
  replyQueue = '';
  private readonly sendQueue = new Fifo<OutMessage>();
  private readonly unconfirmed = new Fifo<OutMessage>();
  private pubTag = 0;
  private blocked = false;
  private readonly asks = new Map<number, PendingAsk>();
  private readonly asksPerQueue = new Map<string, number>();
  private askSeq = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly probing = new Set<string>();
  private readonly replies = new Map<string, Uint8Array[]>();
  private repliesScheduled = false;
  readonly listeners = new Set<Listener>();
  readonly outbound = new Set<Outbound>();
  private attemptPromise: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private drainWaiters: Array<() => void> = [];
  private upWaiters: Array<() => void> = [];
  /** why the broker is unreachable, when it is */
  lastFailure = '';
  readonly stats: NodeStats = { connects: 0, disconnects: 0, published: 0, republished: 0, confirmed: 0, returned: 0, asksRejectedOnOutage: 0, duplicates: 0 };

  constructor(
    readonly cfg: BrokerConfig,
    private readonly onClosed: (node: AmqpNode) => void,
  ) {}

  // ------------------------------------------------------------ connection

  /** Connects now if not connected; rejects with the broker's failure. */
  connect(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new HostDownError(`the connection to the RabbitMQ broker at ${this.cfg.display} is closed`));
    if (this.attemptPromise !== null) return this.attemptPromise;
    this.clearReconnect();
    if (!this.everUp) this.state = 'connecting';
    const p = this.open().then(
      () => {
        this.attemptPromise = null;
      },
      (e: unknown) => {
        this.attemptPromise = null;
        this.attemptFailed(e);
        throw e;
      },
    );
    this.attemptPromise = p;
    return p;
  }

  private async open(): Promise<void> {
    const cfg = this.cfg;
    const ms = Math.round(cfg.connectTimeout * 1000);
    let timer: NodeJS.Timeout | undefined;
    const opening = amqp.connect(cfg.connect, {
      timeout: ms,
      noDelay: true,
      keepAlive: true,
      clientProperties: { connection_name: `tsactor pid ${process.pid}` },
    });
    let conn: ChannelModel;
    try {
      conn = await Promise.race([
        opening,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${cfg.connectTimeout} s`)), ms);
        }),
      ]);
    } catch (e) {
      opening.then((c) => c.close().catch(() => undefined), () => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    if (this.state === 'closed') {
      await conn.close().catch(() => undefined);
      throw new HostDownError(`the connection to the RabbitMQ broker at ${cfg.display} was closed while connecting`);
    }
    conn.on('error', (e: Error) => {
      this.lastFailure = scrub(cfg, e.message);
    });
    conn.on('close', (e?: Error) => this.lost(conn, e));
    const attempt = { abandoned: false };
    try {
      // bounded: an operation on a connection that drops meanwhile may never be answered
      await bounded(this.setUp(conn, attempt), ms * 2);
    } catch (e) {
      attempt.abandoned = true;
      conn.removeAllListeners('close');
      conn.on('close', () => undefined);
      await bounded(conn.close(), 2000).catch(() => undefined);
      throw e;
    }
    this.pump();
    this.startProbes();
  }

  /** Opens the channels and the reply queue, and (re)attaches the served hosts. */
  private async setUp(conn: ChannelModel, attempt: { abandoned: boolean }): Promise<void> {
    const pub = await conn.createConfirmChannel();
    this.watchPublisher(pub);
    const replyPub = await conn.createChannel();
    replyPub.on('error', () => undefined);
    const replyCh = await conn.createChannel();
    replyCh.on('error', () => undefined);
    const q = await replyCh.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await replyCh.consume(q.queue, this.onReplyMessage, { noAck: true });
    for (const l of this.listeners) {
      try {
        await l.attach(conn, false);
      } catch (e) {
        // e.g. another process took the host's URL while this one was cut off: the rest of
        // the process goes on; that host receives nothing until it is created again
        reportError(toError(e), { actor: this.cfg.display, method: 'reconnect', kind: 'internal' });
      }
    }
    if ((this.state as State) === 'closed' || attempt.abandoned) throw new HostDownError('closed while connecting');
    this.conn = conn;
    this.pub = pub;
    this.pubTag = 0;
    this.blocked = false;
    this.replyPub = replyPub;
    this.replyQueue = q.queue;
    this.probeCh = null;
    this.state = 'up';
    this.everUp = true;
    this.attempts = 0;
    this.lastFailure = '';
    this.stats.connects++;
    const ws = this.upWaiters;
    this.upWaiters = [];
    for (const w of ws) w();
    this.flushReplies();
  }

  private watchPublisher(pub: ConfirmChannel): void {
    pub.on('error', (e: Error) => {
      this.lastFailure = scrub(this.cfg, e.message);
    });
    pub.on('close', () => {
      if (this.pub === pub) this.resetPublisher();
    });
    pub.on('ack', (f: { deliveryTag: number; multiple: boolean }) => {
      if (this.pub === pub) this.onAck(f.deliveryTag, f.multiple);
    });
    pub.on('nack', () => {
      // the broker could not take a message: publish everything unconfirmed again on a new channel
      if (this.pub === pub) {
        this.pub = null;
        pub.close().catch(() => undefined);
        this.resetPublisher();
      }
    });
    pub.on('return', (m: Message) => this.onReturn(m));
    pub.on('drain', () => {
      if (this.pub === pub) {
        this.blocked = false;
        this.pump();
      }
    });
  }

  /** The publishing channel broke while the connection lives: publish the unconfirmed messages again on a new one. */
  private resetPublisher(): void {
    this.pub = null;
    this.requeueUnconfirmed();
    const conn = this.conn;
    if (conn === null || this.state !== 'up') return;
    conn.createConfirmChannel().then(
      (pub) => {
        if (this.conn !== conn || this.state !== 'up') {
          pub.close().catch(() => undefined);
          return;
        }
        this.watchPublisher(pub);
        this.pub = pub;
        this.pubTag = 0;
        this.blocked = false;
        this.pump();
      },
      () => undefined, // the connection is going down too: lost() takes over
    );
  }

  private requeueUnconfirmed(): void {
    const back = this.unconfirmed.drain();
    for (const m of back) m.tag = 0;
    this.stats.republished += back.length;
    this.sendQueue.unshiftAll(back);
  }

  /** The connection is gone (broker stopped, network cut): reject the asks, keep the tells, reconnect. */
  private lost(conn: ChannelModel, e?: Error): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.pub = null;
    this.replyPub = null;
    this.probeCh = null;
    this.replyQueue = '';
    this.blocked = false;
    this.replies.clear(); // the asking side fails its asks on the outage
    if (this.state === 'closed') return;
    this.state = 'down';
    this.stats.disconnects++;
    const why = e !== undefined ? scrub(this.cfg, e.message) : 'closed by the broker';
    this.lastFailure = why;
    this.requeueUnconfirmed();
    this.stats.asksRejectedOnOutage += this.asks.size;
    this.rejectAllAsks(
      (a) =>
        new HostDownError(
          `lost the connection to the RabbitMQ broker at ${this.cfg.display} (${why}); the ask ${a.method}() of ${a.url} may or may not have been handled. Tells are kept and sent again once the broker is back`,
        ),
    );
    for (const l of this.listeners) l.detach();
    this.scheduleReconnect();
  }

  private attemptFailed(e: unknown): void {
    if (this.state === 'closed') return;
    const { message } = explainBrokerFailure(this.cfg, e);
    this.lastFailure = message;
    this.rejectAllAsks((a) => new HostDownError(`${a.method}() of ${a.url} not sent: ${message}`));
    if (this.needsConnection()) {
      this.state = this.everUp ? 'down' : 'connecting';
      this.scheduleReconnect();
    } else {
      this.state = this.everUp ? 'down' : 'idle';
    }
  }

  private needsConnection(): boolean {
    return !this.closing && (this.listeners.size > 0 || this.sendQueue.length > 0 || this.unconfirmed.length > 0);
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== null || this.state === 'closed' || this.closing) return;
    const delay = Math.min(MAX_RECONNECT_DELAY, 100 * 2 ** this.attempts);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'up' || this.state === 'closed') return;
      this.connect().catch(() => undefined); // attemptFailed schedules the next try
    }, delay);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** Resolves when the node is connected (at once if it is). */
  whenUp(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** True while messages can be published now. */
  get isUp(): boolean {
    return this.state === 'up';
  }

  /** True when asks must fail at once (the broker was lost and is not back). */
  get isDown(): boolean {
    return this.state === 'down';
  }

  // ------------------------------------------------------------ publishing

  /** Queues a message for publishing (in order with everything queued before). */
  enqueue(m: OutMessage): void {
    m.sender.outstanding.push(m);
    this.sendQueue.push(m);
    if (this.state === 'up') this.pump();
    else if (this.state === 'idle' || (this.state === 'down' && this.reconnectTimer === null && this.attemptPromise === null)) {
      this.connect().catch(() => undefined);
    }
  }

  private pump(): void {
    const pub = this.pub;
    if (pub === null || this.state !== 'up') return;
    const q = this.sendQueue;
    while (!this.blocked && q.length > 0 && this.unconfirmed.length < MAX_INFLIGHT) {
      const m = q.shift()!;
      m.tag = ++this.pubTag;
      this.unconfirmed.push(m);
      this.stats.published++;
      const headers: Record<string, unknown> = { 'x-floor': m.sender.floor() };
      if (m.token !== undefined) headers['x-tsactor-token'] = m.token;
      let ok: boolean;
      try {
        ok = pub.publish('', m.queue, m.body, {
          persistent: true,
          mandatory: true,
          messageId: `${m.sender.id}.${m.seq}`,
          replyTo: m.askParts !== null ? this.replyQueue : undefined,
          headers,
        });
      } catch (e) {
        // the channel is closing: its close handler puts the message back
        this.lastFailure = toError(e).message;
        return;
      }
      if (!ok) this.blocked = true;
    }
    if (q.length === 0 && this.unconfirmed.length === 0) this.notifyDrained();
  }

  private onAck(tag: number, multiple: boolean): void {
    const u = this.unconfirmed;
    if (multiple) {
      while (u.length > 0 && u.peek()!.tag <= tag) this.confirmed(u.shift()!);
    } else {
      const first = u.peek();
      if (first === undefined) return;
      const m = u.at(tag - first.tag);
      if (m !== undefined && m.tag === tag) m.done = true;
      while (u.length > 0 && u.peek()!.done) this.confirmed(u.shift()!);
    }
    this.pump();
  }

  private confirmed(m: OutMessage): void {
    m.done = true;
    m.body = EMPTY;
    m.parts = null;
    this.stats.confirmed++;
  }

  /** A message came back: no queue for it (the host is not running). */
  private onReturn(msg: Message): void {
    this.stats.returned++;
    const queue = msg.fields.routingKey;
    const base = baseOfQueue(queue);
    let batch: Envelope[];
    try {
      batch = decodeFrame(msg.content).batch;
    } catch {
      return;
    }
    let tells = 0;
    let firstTell: Envelope | null = null;
    for (const env of batch) {
      if (env.kind === EnvelopeKind.ASK) {
        const a = this.takeAsk(env.id);
        a?.reply.reject(new HostDownError(`no host is running at ${base}: ${a.method}() of ${a.url} not delivered (nothing serves its queue '${queue}' on the broker ${this.cfg.display})`));
      } else if (env.kind === EnvelopeKind.TELL) {
        tells++;
        firstTell ??= env;
      }
    }
    if (firstTell !== null) {
      reportError(
        new HostDownError(
          `no host is running at ${base}: ${tells === 1 ? `the tell ${firstTell.method}()` : `${tells} tells (the first ${firstTell.method}())`} to ${base}${firstTell.target} not delivered`,
        ),
        { actor: base + firstTell.target, method: firstTell.method, kind: 'tell' },
      );
    }
  }

  /** Resolves once everything queued is confirmed (or `ms` passed); true when it was. */
  drain(ms: number): Promise<boolean> {
    if (this.sendQueue.length === 0 && this.unconfirmed.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiters = this.drainWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.drainWaiters.push(done);
    });
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0) return;
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  // ------------------------------------------------------------ replies (host side)

  /** Sends an answer (an encoded RESULT or ERROR envelope) to the reply queue of an asking process. */
  sendReply(replyTo: string, envelope: Uint8Array): void {
    let list = this.replies.get(replyTo);
    if (list === undefined) this.replies.set(replyTo, (list = []));
    list.push(envelope);
    if (!this.repliesScheduled) {
      this.repliesScheduled = true;
      queueMicrotask(this.flushReplies);
    }
  }

  /** Publishes the answers gathered so far. */
  readonly flushReplies = (): void => {
    this.repliesScheduled = false;
    if (this.replies.size === 0) return;
    // answers to asks handled while (re)connecting (the served hosts consume before the node
    // is up): kept, and sent once it is
    if (this.state !== 'up' && this.state !== 'closed' && this.attemptPromise !== null) return;
    const ch = this.replyPub;
    const all = [...this.replies];
    this.replies.clear();
    // without a connection the asking side has already failed these asks
    if (ch === null || this.state !== 'up') return;
    for (const [queue, parts] of all) {
      try {
        ch.publish('', queue, encodeBatch(parts));
      } catch {
        return;
      }
    }
  };

  // ------------------------------------------------------------ asks (caller side)

  /** Registers an ask; returns its id (for the envelope). */
  registerAsk(reply: Reply, queue: string, url: string, method: string, decodeTimeout: number | null): number {
    const id = ++this.askSeq;
    const timeout = askTimeout(reply);
    this.asks.set(id, {
      reply,
      queue,
      url,
      method,
      owner: askOwner(reply),
      decodeTimeout,
      expires: timeout === null ? Infinity : performance.now() + timeout * 1000 + ASK_GRACE,
    });
    this.asksPerQueue.set(queue, (this.asksPerQueue.get(queue) ?? 0) + 1);
    if (this.probeTimer === null && this.state === 'up') this.startProbes();
    return id;
  }

  private takeAsk(id: number): PendingAsk | undefined {
    const a = this.asks.get(id);
    if (a === undefined) return undefined;
    this.asks.delete(id);
    const n = (this.asksPerQueue.get(a.queue) ?? 1) - 1;
    if (n <= 0) this.asksPerQueue.delete(a.queue);
    else this.asksPerQueue.set(a.queue, n);
    if (this.asks.size === 0) this.stopProbes();
    return a;
  }

  /** Rejects an ask that is pending (e.g. its message could not be encoded). */
  failAsk(id: number, error: Error): void {
    this.takeAsk(id)?.reply.reject(error);
  }

  private readonly onReplyMessage = (msg: ConsumeMessage | null): void => {
    if (msg === null) return;
    let batch: Envelope[];
    try {
      batch = decodeFrame(msg.content).batch;
    } catch (e) {
      reportError(toError(e), { actor: this.replyQueue, method: 'reply', kind: 'internal' });
      return;
    }
    for (const env of batch) {
      const a = this.takeAsk(env.id);
      if (a === undefined) continue; // timed out long ago, or failed on an outage
      const opts = { owner: a.owner, timeout: a.decodeTimeout };
      if (env.kind === EnvelopeKind.RESULT) {
        let value: unknown;
        try {
          value = unpackValue(env.value, opts);
        } catch (e) {
          a.reply.reject(e);
          continue;
        }
        a.reply.resolve(value);
      } else if (env.kind === EnvelopeKind.ERROR) {
        a.reply.reject(unpackError(env.value, opts));
      } else {
        a.reply.reject(new ActorError(`malformed answer to ${a.method}() of ${a.url}: ${env.method || `kind ${env.kind}`}`, { code: 'MALFORMED' }));
      }
    }
  };

  /**
   * Rejects every pending ask, and takes the asks out of the messages not yet confirmed
   * (they go again without them, so the sequence numbers stay without gaps).
   */
  private rejectAllAsks(error: (a: PendingAsk) => Error): void {
    if (this.asks.size > 0) {
      const all = [...this.asks.values()];
      this.asks.clear();
      this.asksPerQueue.clear();
      this.stopProbes();
      for (const a of all) a.reply.reject(error(a));
    }
    for (const m of this.sendQueue) stripAsks(m);
  }

  private rejectQueueAsks(queue: string, error: (a: PendingAsk) => Error): void {
    for (const [id, a] of this.asks) {
      if (a.queue !== queue) continue;
      this.takeAsk(id);
      a.reply.reject(error(a));
    }
  }

  private startProbes(): void {
    if (this.probeTimer !== null || this.asks.size === 0) return;
    this.probeTimer = setInterval(this.probeAll, PROBE_INTERVAL);
    this.probeTimer.unref();
  }

  private stopProbes(): void {
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private readonly probeAll = (): void => {
    if (this.state !== 'up') return;
    const now = performance.now();
    for (const [id, a] of this.asks) if (a.expires < now) this.takeAsk(id);
    for (const queue of this.asksPerQueue.keys()) {
      if (!this.probing.has(queue)) void this.probe(queue);
    }
  };

  private probeChannel(): Promise<Channel> {
    const conn = this.conn;
    if (conn === null) return Promise.reject(new Error('not connected'));
    if (this.probeCh === null) {
      const p = conn.createChannel().then((ch) => {
        ch.on('error', () => undefined);
        ch.on('close', () => {
          if (this.probeCh === p) this.probeCh = null;
        });
        return ch;
      });
      p.catch(() => {
        if (this.probeCh === p) this.probeCh = null;
      });
      this.probeCh = p;
    }
    return this.probeCh;
  }

  /** Checks that something still consumes the queue of a host we wait for. */
  private async probe(queue: string): Promise<void> {
    this.probing.add(queue);
    const base = baseOfQueue(queue);
    try {
      const ch = await bounded(this.probeChannel(), 5000);
      const r = await bounded(ch.checkQueue(queue), 5000);
      if (r.consumerCount === 0) {
        this.rejectQueueAsks(
          queue,
          (a) => new HostDownError(`the host ${base} is down: nothing consumes its queue '${queue}' any more; ${a.method}() of ${a.url} is not answered`),
        );
      }
    } catch (e) {
      const msg = toError(e).message;
      if (/404|NOT.FOUND/.test(msg)) {
        this.rejectQueueAsks(
          queue,
          (a) => new HostDownError(`the host ${base} is down: its queue '${queue}' is gone (the host was shut down); ${a.method}() of ${a.url} is not answered`),
        );
      }
    } finally {
      this.probing.delete(queue);
    }
  }

  // ------------------------------------------------------------ closing

  /**
   * Closes the connection: publishes what is queued first (waiting at most a few seconds
   * for the broker's confirms), rejects the asks still pending, reports tells that could
   * not be sent.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.closing) return;
    this.closing = true;
    for (const o of this.outbound) o.flush();
    if (this.sendQueue.length + this.unconfirmed.length > 0 && this.state !== 'idle') {
      await this.drain(CLOSE_FLUSH_TIMEOUT);
    }
    this.flushReplies();
    this.state = 'closed';
    this.clearReconnect();
    this.stopProbes();
    const lost = [...this.unconfirmed, ...this.sendQueue].length;
    this.unconfirmed.drain();
    this.sendQueue.drain();
    if (lost > 0) {
      reportError(
        new HostDownError(
          `${lost} message batch(es) to amqp:// hosts were not confirmed by the RabbitMQ broker at ${this.cfg.display} before the connection closed${this.lastFailure ? ` (${this.lastFailure})` : ''}`,
        ),
        { actor: this.cfg.display, method: 'close', kind: 'internal' },
      );
    }
    this.rejectAllAsks((a) => new HostDownError(`the connection to the RabbitMQ broker was closed (shutdown); ${a.method}() of ${a.url} is not answered`));
    for (const o of this.outbound) o.dead();
    this.outbound.clear();
    const conn = this.conn;
    this.conn = null;
    this.pub = null;
    this.replyPub = null;
    this.probeCh = null;
    for (const w of this.drainWaiters) w();
    this.drainWaiters = [];
    for (const w of this.upWaiters) w();
    this.upWaiters = [];
    this.onClosed(this);
    if (conn !== null) await bounded(conn.close(), 5000).catch(() => undefined);
    if (this.attemptPromise !== null) await this.attemptPromise.catch(() => undefined);
  }

  /** served hosts that are closing (their channel operations still need the connection) */
  closingListeners = 0;

  /** True once nothing uses the node any more. */
  get unused(): boolean {
    return this.listeners.size === 0 && this.outbound.size === 0 && this.closingListeners === 0;
  }

  /** The current connection (null while down). */
  get connection(): ChannelModel | null {
    return this.conn;
  }

  /** A served host stopped: closes the connection when nothing else uses it. */
  async listenerClosed(): Promise<void> {
    if (this.unused) await this.close();
  }
}

/** Takes the asks out of a message that will be published again. */
function stripAsks(m: OutMessage): void {
  if (m.parts === null || m.askParts === null) return;
  const skip = new Set(m.askParts);
  m.parts = m.parts.filter((_, i) => !skip.has(i));
  m.askParts = null;
  m.body = encodeBatch(m.parts);
}

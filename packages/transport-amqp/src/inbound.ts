/**
 * The serving side of an amqp:// host: consumes the host's durable queue (as its only
 * consumer), checks each message's MAC when the host has a token (before anything else of
 * the message is used or recorded), drops messages it has already handled, and delivers
 * each envelope of a batch to its actor in order. Asks are answered on the reply queue
 * named by the message.
 *
 * A message is acknowledged once handled: every tell of it returned from its method (or
 * its promise settled), every ask of it reached its actor's mailbox (an ask's caller learns
 * of a lost host from the probes, and its answer goes nowhere after a restart), and every
 * refused envelope was answered or reported. The acknowledgements go out before the answers
 * of the same turn (an ask whose caller saw its answer is not delivered again). What a host's
 * process did not handle when it died stays in the queue, which a new host at the same URL
 * consumes (it is not purged).
 *
 * The dedup table survives such a restart: the table as of the last message acknowledged in
 * order is stored on the broker, in a durable queue of the host's own that keeps one message
 * (x-max-length 1), at most every STORE_INTERVAL ms, and read back by the next host at the
 * URL. Messages handled after the last stored table and not yet acknowledged when the
 * process died are handled again: at most PREFETCH messages (in practice those of the last
 * turn of the event loop).
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  ActorError,
  EnvelopeKind,
  HostDownError,
  HostError,
  decodeFrame,
  isLoopback,
  deliverInbound,
  encodeEnvelope,
  packError,
  refuseInbound,
  reportError,
  reportRefused,
  toError,
  type AnswerKind,
  type Envelope,
  type HostBinding,
  type InboundPort,
  type PackedValue,
  type Reply,
  type TransportServer,
} from '@tsactor/core/internal';
import { Dedup } from './dedup';
import type { AmqpNode, Listener } from './connection';
import { MAX_BATCH_SIZE, MAX_MESSAGE_SIZE } from './limits';
import { queueOf, stateQueueOf } from './names';
import { Fifo, bounded } from './fifo';
import { MAC_HEADER, macMatches } from './mac';

/** Unacknowledged messages (batches) the broker may push to a host at once. */
export const PREFETCH = 256;
/** Milliseconds between two stores of the dedup table (at most). */
const STORE_INTERVAL = 100;
/** Milliseconds between two reports of messages refused unread (unauthenticated, too large, malformed). */
const REFUSAL_REPORT_INTERVAL = 5000;
/** The largest stored dedup table read back. */
const MAX_STATE_BYTES = 8 * 1024 * 1024;

/** One message received: acknowledged once everything in it is handled. */
class Delivery {
  /** tells of it still running, plus one while it is being delivered */
  pending = 1;
  done = false;
  acked = false;
  /** recorded in the dedup table (a new, authenticated message): recorded in the stored table too once acknowledged */
  record = false;
  floor = 0;
  constructor(
    readonly msg: ConsumeMessage,
    readonly ch: Channel,
  ) {}
}

/** The reply slot of a tell: tells its message when the method is done, and reports a failure. */
class TellDone implements Reply {
  constructor(
    private readonly listener: HostListener,
    private readonly d: Delivery,
    private readonly url: string,
    private readonly method: string,
  ) {}
  resolve(): void {
    this.listener.finish(this.d);
  }
  reject(error: unknown): void {
    reportError(error, { actor: this.url, method: this.method, kind: 'tell' });
    this.listener.finish(this.d);
  }
}

/**
 * A served amqp:// host. As the {@link InboundPort} of core's delivery, it answers asks on
 * the reply queue named by their message (the context: undefined when the message names none).
 */
export class HostListener implements Listener, TransportServer, InboundPort<string | undefined> {
  readonly queue: string;
  /** where the dedup table is stored */
  readonly stateQueue: string;
  private ch: Channel | null = null;
  private closed = false;
  /** what arrived (drops the copies) */
  readonly dedup: Dedup;
  /** what was handled and acknowledged in order (what is stored) */
  private readonly committed: Dedup;
  private readonly token: string | undefined;
  /** the messages of the current channel not yet acknowledged, in delivery order */
  private readonly inflight = new Fifo<Delivery>();
  /** the message whose envelopes are being delivered now */
  private current: Delivery | null = null;
  private doneSinceAck = 0;
  private ackScheduled = false;
  private storedVersion = -1;
  private lastStore = 0;
  private storeTimer: NodeJS.Timeout | null = null;
  /** messages received while the host starts, delivered once the code that created it ran (see attach) */
  private held: Array<[Channel, ConsumeMessage]> | null = null;
  /** messages refused since the last report of them, and when that was */
  private refusedSinceReport = 0;
  private lastRefusalReport = -Infinity;

  constructor(
    private readonly node: AmqpNode,
    private readonly host: HostBinding,
  ) {
    this.queue = queueOf(host.base);
    this.stateQueue = stateQueueOf(host.base);
    const token = host.options.token;
    this.token = token !== undefined && token !== '' ? token : undefined;
    const trustFloors = this.token !== undefined;
    this.dedup = new Dedup({ trustFloors });
    this.committed = new Dedup({ trustFloors });
  }

  /**
   * Declares the host's queue and consumes it as its only consumer. The first time, it
   * refuses a queue that another process consumes (a host already serves that URL), and
   * reads back the dedup table an earlier host at this URL stored; what that host left in
   * the queue is handled.
   */
  async attach(conn: ChannelModel, first: boolean): Promise<void> {
    if (this.closed) return;
    const ch = await conn.createChannel();
    ch.on('error', (e: Error) => {
      if (!this.closed) this.node.lastFailure = e.message;
    });
    try {
      const q = await ch.assertQueue(this.queue, { durable: true, autoDelete: false, exclusive: false });
      if (first && q.consumerCount > 0) {
        throw new HostError(
          `a host is already running at ${this.host.base} (another process consumes its queue '${this.queue}' on the broker ${this.node.cfg.display}); shut it down first or use another URL`,
          { code: 'HOST_EXISTS' },
        );
      }
      await ch.assertQueue(this.stateQueue, { durable: true, autoDelete: false, exclusive: false, arguments: { 'x-max-length': 1 } });
      if (first) await this.readState(ch);
      await ch.prefetch(PREFETCH);
      // the channel is this host's before consuming starts: amqplib delivers the messages
      // that follow the broker's consume-ok at once, in the same read, before `await` returns
      // (after a broker restart a full prefetch of them arrives at once; dropped unacked, they
      // would stall the consumer for good)
      ch.on('close', () => {
        if (this.ch === ch) this.detach();
      });
      this.ch = ch;
      this.inflight.drain();
      // messages left in the queue by an earlier host at this URL are for actors that the
      // code creating this host spawns right after createHost returns: they are held until
      // that code has run (to its first wait for I/O)
      if (first) this.held = [];
      await ch.consume(this.queue, this.onMessage(ch), { exclusive: true, noAck: false });
      if (first) setImmediate(this.release);
    } catch (e) {
      if (this.ch === ch) this.ch = null;
      ch.close().catch(() => undefined);
      if (e instanceof HostError) throw e;
      if (/ACCESS.REFUSED|403|exclusive/i.test(toError(e).message)) {
        throw new HostError(
          `a host is already running at ${this.host.base} (another process consumes its queue '${this.queue}' on the broker ${this.node.cfg.display}); shut it down first or use another URL`,
          { code: 'HOST_EXISTS', cause: e },
        );
      }
      throw e;
    }
  }

  /** Reads the dedup table stored by an earlier host at this URL (and stores it again at once). */
  private async readState(ch: Channel): Promise<void> {
    const m = await ch.get(this.stateQueue, { noAck: true });
    if (m === false) return;
    try {
      if (m.content.byteLength > MAX_STATE_BYTES) throw new Error(`${m.content.byteLength} bytes`);
      const parsed: unknown = JSON.parse(m.content.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || (parsed as { v?: unknown }).v !== 1) throw new Error('not a version 1 table');
      const senders = (parsed as { senders?: unknown }).senders;
      this.dedup.restore(senders);
      this.committed.restore(senders);
      ch.publish('', this.stateQueue, m.content, { persistent: true });
      this.storedVersion = this.committed.version;
    } catch (e) {
      reportError(
        new ActorError(
          `host ${this.host.base} ignored the dedup table stored in the queue '${this.stateQueue}' (${toError(e).message}); messages delivered again by the broker may be handled twice`,
        ),
        { actor: this.host.url, method: 'listen', kind: 'internal' },
      );
    }
  }

  private readonly release = (): void => {
    const held = this.held;
    this.held = null;
    if (held !== null) for (const [ch, msg] of held) this.take(ch, msg);
  };

  detach(): void {
    this.ch = null;
    // the broker delivers what was not acknowledged again: those copies are acknowledged instead
    this.inflight.drain();
    this.doneSinceAck = 0;
  }

  private onMessage(ch: Channel): (msg: ConsumeMessage | null) => void {
    return (msg) => {
      if (msg === null) {
        // the broker cancelled the consumer (the queue was deleted by hand)
        if (!this.closed) {
          reportError(
            new HostDownError(
              `the queue '${this.queue}' of host ${this.host.url} was deleted on the broker; the host receives nothing any more`,
            ),
            {
              actor: this.host.url,
              method: 'consume',
              kind: 'internal',
            },
          );
        }
        return;
      }
      if (this.held !== null) this.held.push([ch, msg]);
      else this.take(ch, msg);
    };
  }

  private take(ch: Channel, msg: ConsumeMessage): void {
    if (ch !== this.ch) return;
    const d = new Delivery(msg, ch);
    this.inflight.push(d);
    this.receive(msg, d);
    this.finish(d);
  }

  /** Checks one message (size, MAC, copy) and hands its envelopes on; nothing is recorded before the MAC is checked. */
  private receive(msg: ConsumeMessage, d: Delivery): void {
    if (msg.content.byteLength > MAX_BATCH_SIZE) {
      this.refusedUnread(
        new ActorError(
          `host ${this.host.base} dropped a message of ${msg.content.byteLength} bytes, larger than the ${MAX_BATCH_SIZE} bytes allowed`,
          {
            code: 'TOO_LARGE',
          },
        ),
      );
      return;
    }
    const props = msg.properties;
    const headers = props.headers;
    const floor = Number(headers?.['x-floor'] ?? 0);
    const replyTo = typeof props.replyTo === 'string' ? props.replyTo : undefined;
    const messageId = props.messageId as unknown;
    if (this.token !== undefined && !macMatches(headers?.[MAC_HEADER], this.token, messageId, floor, replyTo, msg.content)) {
      this.node.stats.unauthenticated++;
      this.refuseAll(msg, replyTo);
      return;
    }
    const id = typeof messageId === 'string' ? messageId : undefined;
    if (this.dedup.seen(id, floor)) {
      this.node.stats.duplicates++;
      return;
    }
    d.record = id !== undefined;
    d.floor = floor;
    this.handle(msg, d, replyTo);
  }

  /**
   * Reports a message refused before it was read, at most once per REFUSAL_REPORT_INTERVAL
   * with the count since the last report (a flood of them does not flood the error handler).
   */
  private refusedUnread(error: Error): void {
    this.refusedSinceReport++;
    const now = performance.now();
    if (now - this.lastRefusalReport < REFUSAL_REPORT_INTERVAL) return;
    const n = this.refusedSinceReport;
    this.refusedSinceReport = 0;
    this.lastRefusalReport = now;
    const e =
      n > 1
        ? new ActorError(`${error.message} (and ${n - 1} more message(s) refused since the last report)`, {
            code: error instanceof ActorError ? error.code : 'MALFORMED',
          })
        : error;
    reportError(e, { actor: this.host.url, method: 'receive', kind: 'internal' });
  }

  /**
   * A message without the MAC of the host's token: nothing of it is recorded; the asks of a
   * message that names a reply queue are answered with UNAUTHENTICATED, the rest is
   * refused unread (and reported, see refusedUnread).
   */
  private refuseAll(msg: ConsumeMessage, replyTo: string | undefined): void {
    const refusal = (method: string): HostError =>
      new HostError(
        `host ${this.host.url} refused ${method}(): the sender did not prove the host's token (give both hosts the same options.token)`,
        {
          code: 'UNAUTHENTICATED',
        },
      );
    if (replyTo === undefined) {
      this.refusedUnread(refusal('a message'));
      return;
    }
    let batch: Envelope[];
    try {
      batch = decodeFrame(msg.content).batch;
    } catch {
      this.refusedUnread(refusal('a malformed message'));
      return;
    }
    for (const env of batch) {
      if (env.kind !== EnvelopeKind.ASK || env.id === 0) {
        this.refusedUnread(refusal(env.method));
        continue;
      }
      refuseInbound(env, this, replyTo, refusal(env.method));
    }
  }

  private handle(msg: ConsumeMessage, d: Delivery, replyTo: string | undefined): void {
    let batch: Envelope[];
    try {
      batch = decodeFrame(msg.content).batch;
    } catch (e) {
      this.refusedUnread(toError(e));
      return;
    }
    this.current = d;
    try {
      for (const env of batch) deliverInbound(this.host, env, this, replyTo);
    } finally {
      this.current = null;
    }
  }

  /** For core's delivery: a tell about to reach its actor counts as pending in its message until its method is done. */
  tellReply(_replyTo: string | undefined, env: Envelope, url: string): Reply | null {
    const d = this.current;
    if (d === null) return null;
    d.pending++;
    return new TellDone(this, d, url, env.method);
  }

  /** One part of a message is done: once all are, the message is acknowledged (at the end of the turn, with others). */
  finish(d: Delivery): void {
    if (--d.pending > 0) return;
    d.done = true;
    if (d.ch !== this.ch) return;
    if (++this.doneSinceAck >= PREFETCH / 4) this.flushAck();
    else if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(this.flushAck);
    }
  }

  ackNow(): void {
    if (this.ackScheduled) this.flushAck();
  }

  /**
   * Acknowledges the messages handled: those at the front in one go (and records them in the
   * table that is stored), the ones done past a message still running one by one (so that a
   * long method does not hold the prefetch window).
   */
  private readonly flushAck = (): void => {
    this.ackScheduled = false;
    this.doneSinceAck = 0;
    const ch = this.ch;
    if (ch === null) return;
    const q = this.inflight;
    let last: Delivery | null = null;
    while (q.length > 0 && q.peek()!.done) {
      const d = q.shift()!;
      if (d.record) this.committed.seen(d.msg.properties.messageId as string, d.floor);
      if (!d.acked) last = d;
    }
    try {
      if (last !== null) ch.ack(last.msg, true);
      for (const d of q) {
        if (d.done && !d.acked) {
          ch.ack(d.msg, false);
          d.acked = true;
        }
      }
    } catch {
      // the channel closed: the broker delivers the messages again, and dedup drops the copies
      return;
    }
    this.store(false);
  };

  /** Stores the table of what was acknowledged, at most every STORE_INTERVAL ms (at once when `now`). */
  private store(now: boolean): void {
    if (this.committed.version === this.storedVersion) return;
    const wait = this.lastStore + STORE_INTERVAL - performance.now();
    if (!now && wait > 0) {
      if (this.storeTimer === null) {
        this.storeTimer = setTimeout(() => {
          this.storeTimer = null;
          this.store(true);
        }, wait);
        this.storeTimer.unref();
      }
      return;
    }
    const ch = this.ch;
    if (ch === null) return;
    this.lastStore = performance.now();
    this.storedVersion = this.committed.version;
    try {
      ch.publish('', this.stateQueue, Buffer.from(JSON.stringify({ v: 1, senders: this.committed.snapshot() })), { persistent: true });
    } catch {
      this.storedVersion = -1; // the channel closed: stored again on the next acknowledgement
    }
  }

  /** The senders and sequence numbers recorded as handled (for tests and diagnostics). */
  get recorded(): { senders: number; seqs: number } {
    return { senders: this.dedup.size, seqs: this.dedup.recorded };
  }

  /**
   * For core's delivery: whether the peers are trusted (stacks in errors, lookups of other
   * hosts). With a token, every message delivered proved it; without one, a peer is trusted
   * when the broker is on this machine (the way a loopback peer is on other transports).
   */
  trusted(): boolean {
    return this.token !== undefined || isLoopback(this.node.cfg.connect.hostname ?? '');
  }

  get maxMessageSize(): number {
    return MAX_MESSAGE_SIZE;
  }

  canAnswer(replyTo: string | undefined): boolean {
    return replyTo !== undefined;
  }

  answer(replyTo: string | undefined, id: number, kind: AnswerKind, value: PackedValue, call: { readonly where: string }): void {
    if (replyTo === undefined) return;
    let env = encodeEnvelope({ kind, id, target: '', method: '', args: null, ctorArgs: null, value, sender: '' });
    if (env.byteLength > MAX_MESSAGE_SIZE) {
      const e = new ActorError(
        `the result of ${call.where} takes ${env.byteLength} bytes, more than the ${MAX_MESSAGE_SIZE} bytes an amqp:// message may carry`,
        {
          code: 'TOO_LARGE',
        },
      );
      env = encodeEnvelope({
        kind: EnvelopeKind.ERROR,
        id,
        target: '',
        method: '',
        args: null,
        ctorArgs: null,
        value: packError(e, call.where),
        sender: '',
      });
    }
    this.node.replies.send(replyTo, env);
  }

  refused(_replyTo: string | undefined, env: Envelope, error: Error): void {
    reportRefused(this.host, env, error);
  }

  /** Stops consuming and deletes the host's queues (what is left in them was for this host only). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held = null;
    this.flushAck();
    if (this.storeTimer !== null) clearTimeout(this.storeTimer);
    this.storeTimer = null;
    this.node.listeners.delete(this);
    this.node.replies.flush();
    const ch = this.ch;
    this.ch = null;
    if (ch !== null) {
      this.node.closingListeners++;
      try {
        // bounded: an operation on a channel whose connection just dropped may never be answered
        await bounded(ch.deleteQueue(this.queue), 5000);
        await bounded(ch.deleteQueue(this.stateQueue), 5000);
      } catch {
        // the broker is gone: the queues stay; the next host at this URL handles what they hold
      }
      await bounded(ch.close(), 5000).catch(() => undefined);
      this.node.closingListeners--;
    }
    await this.node.listenerClosed();
  }

  unwrap(): unknown {
    return this.ch;
  }
}

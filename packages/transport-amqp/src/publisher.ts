/**
 * Publishing: every batch of envelopes for a host is one persistent AMQP message,
 * published with `mandatory` on a confirm channel to the host's durable queue. A message
 * stays here (queued, then unconfirmed) until the broker confirms it. When the connection
 * is lost, the unconfirmed messages go back to the front of the queue, and the queue is
 * published again, in order, once the connection is back; tells sent meanwhile wait in the
 * queue. Receivers drop the copies that arrive twice (see dedup.ts).
 *
 * Flow control: nothing is published while the broker blocks the connection (`blocked`, a
 * memory or disk alarm, until `unblocked`) or while the channel's buffer is full (publish
 * returned false, until `drain`); messages wait in the send queue meanwhile. That queue is
 * bounded in bytes (limits.ts): the outbound channels refuse new messages once it is full.
 * Messages of senders with a token carry an HMAC of the message instead of the token (mac.ts).
 */
import type { ConfirmChannel, Message } from 'amqplib';
import { EnvelopeKind, HostDownError, decodeFrame, encodeBatch, reportError, toError, type Envelope } from '@tsactor/core/internal';
import { scrub } from './config';
import { MAC_HEADER, messageMac } from './mac';
import { Fifo } from './fifo';
import { baseOfQueue } from './names';
import type { AmqpNode } from './connection';

/** Messages published and not yet confirmed, at most. */
const MAX_INFLIGHT = 1024;

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

/** The publishing side of a broker connection: the send queue, the confirm channel, the confirms. */
export class Publisher {
  private pub: ConfirmChannel | null = null;
  private readonly sendQueue = new Fifo<OutMessage>();
  private readonly unconfirmed = new Fifo<OutMessage>();
  private pubTag = 0;
  /** the channel's buffer is full (publish returned false) until its `drain` */
  private blocked = false;
  /** the broker blocks the connection (a resource alarm) until `unblocked` */
  private connBlocked = false;
  /** bytes of the bodies in the send queue */
  private queuedBytes = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly node: AmqpNode) {}

  /** messages queued or not yet confirmed */
  get pending(): number {
    return this.sendQueue.length + this.unconfirmed.length;
  }

  /** bytes waiting in the send queue (not yet published) */
  get queued(): number {
    return this.queuedBytes;
  }

  /** True when the broker blocks this process's connection (publishing waits). */
  get brokerBlocked(): boolean {
    return this.connBlocked;
  }

  /** Publishes on `pub` from now on (a fresh connection is up). */
  use(pub: ConfirmChannel): void {
    this.pub = pub;
    this.pubTag = 0;
    this.blocked = false;
  }

  /** The connection is gone: nothing is published until {@link use}. */
  detach(): void {
    this.pub = null;
    this.blocked = false;
    this.connBlocked = false;
  }

  /** The broker blocks (true) or unblocks (false) the connection. */
  setBrokerBlocked(blocked: boolean): void {
    this.connBlocked = blocked;
    if (!blocked) this.pump();
  }

  watch(pub: ConfirmChannel): void {
    pub.on('error', (e: Error) => {
      this.node.lastFailure = scrub(this.node.cfg, e.message);
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
    const conn = this.node.connection;
    if (conn === null || this.node.state !== 'up') return;
    conn.createConfirmChannel().then(
      (pub) => {
        if (this.node.connection !== conn || this.node.state !== 'up') {
          pub.close().catch(() => undefined);
          return;
        }
        this.watch(pub);
        this.use(pub);
        this.pump();
      },
      () => undefined, // the connection is going down too: lost() takes over
    );
  }

  /** The unconfirmed messages go back to the front of the send queue (published again, in order). */
  requeueUnconfirmed(): void {
    const back = this.unconfirmed.drain();
    for (const m of back) {
      m.tag = 0;
      this.queuedBytes += m.body.byteLength;
    }
    this.node.stats.republished += back.length;
    this.sendQueue.unshiftAll(back);
  }

  /** Queues a message for publishing (in order with everything queued before). */
  enqueue(m: OutMessage): void {
    m.sender.outstanding.push(m);
    this.sendQueue.push(m);
    this.queuedBytes += m.body.byteLength;
    this.node.wantPublish();
  }

  pump(): void {
    const pub = this.pub;
    if (pub === null || this.node.state !== 'up') return;
    const q = this.sendQueue;
    while (!this.blocked && !this.connBlocked && q.length > 0 && this.unconfirmed.length < MAX_INFLIGHT) {
      const m = q.shift()!;
      this.queuedBytes -= m.body.byteLength;
      m.tag = ++this.pubTag;
      this.unconfirmed.push(m);
      this.node.stats.published++;
      const floor = m.sender.floor();
      const messageId = `${m.sender.id}.${m.seq}`;
      const replyTo = m.askParts !== null ? this.node.replyQueue : undefined;
      const headers: Record<string, unknown> = { 'x-floor': floor };
      if (m.token !== undefined && m.token !== '') headers[MAC_HEADER] = messageMac(m.token, messageId, floor, replyTo, m.body);
      let ok: boolean;
      try {
        ok = pub.publish('', m.queue, m.body, {
          persistent: true,
          mandatory: true,
          messageId,
          replyTo,
          headers,
        });
      } catch (e) {
        // the channel is closing: its close handler puts the message back
        this.node.lastFailure = toError(e).message;
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
    this.node.stats.confirmed++;
  }

  /** A message came back: no queue for it (the host is not running). */
  private onReturn(msg: Message): void {
    this.node.stats.returned++;
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
        const a = this.node.asks.take(env.id);
        a?.reply.reject(
          new HostDownError(
            `no host is running at ${base}: ${a.method}() of ${a.url} not delivered (nothing serves its queue '${queue}' on the broker ${this.node.cfg.display})`,
          ),
        );
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

  /** Takes the asks out of the queued messages (they are published again without them). */
  stripQueuedAsks(): void {
    for (const m of this.sendQueue) {
      const before = m.body.byteLength;
      stripAsks(m);
      this.queuedBytes += m.body.byteLength - before;
    }
  }

  /**
   * The connection closes for good: drops what is queued and unconfirmed (returns how many
   * messages that was) and wakes whoever waits for the queue to drain.
   */
  close(): number {
    const lost = this.unconfirmed.length + this.sendQueue.length;
    this.unconfirmed.drain();
    this.sendQueue.drain();
    this.queuedBytes = 0;
    this.pub = null;
    for (const w of this.drainWaiters) w();
    this.drainWaiters = [];
    return lost;
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

/**
 * The serving side of an amqp:// host: consumes the host's durable queue (as its only
 * consumer), drops messages it has already handled, and delivers each envelope of a batch
 * to its actor in order. Asks are answered on the reply queue named by the message.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  ActorError,
  EnvelopeKind,
  HostDownError,
  HostError,
  decodeFrame,
  deliverInbound,
  encodeEnvelope,
  packError,
  refuseInbound,
  reportError,
  reportRefused,
  toError,
  tokenMatches,
  type AnswerKind,
  type Envelope,
  type HostBinding,
  type InboundPort,
  type PackedValue,
  type TransportServer,
} from '@tsactor/core/internal';
import { Dedup } from './dedup';
import type { AmqpNode, Listener } from './connection';
import { MAX_BATCH_SIZE, MAX_MESSAGE_SIZE } from './limits';
import { queueOf } from './names';
import { bounded } from './fifo';

/** Unacknowledged messages (batches) the broker may push to a host at once. */
const PREFETCH = 256;

/**
 * A served amqp:// host. As the {@link InboundPort} of core's delivery, it answers asks on
 * the reply queue named by their message (the context: undefined when the message names none).
 */
export class HostListener implements Listener, TransportServer, InboundPort<string | undefined> {
  readonly queue: string;
  private ch: Channel | null = null;
  private closed = false;
  readonly dedup = new Dedup();
  private unacked: ConsumeMessage | null = null;
  private unackedCount = 0;
  private ackScheduled = false;

  constructor(
    private readonly node: AmqpNode,
    private readonly host: HostBinding,
  ) {
    this.queue = queueOf(host.base);
  }

  /**
   * Declares the host's queue and consumes it as its only consumer. The first time, it
   * refuses a queue that another process consumes (a host already serves that URL) and
   * drops what an earlier host at this URL left in the queue.
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
      if (first && q.messageCount > 0) {
        await ch.purgeQueue(this.queue);
        reportError(
          new ActorError(
            `dropped ${q.messageCount} message batch(es) left in the queue '${this.queue}' by an earlier host at ${this.host.base}`,
          ),
          { actor: this.host.url, method: 'listen', kind: 'internal' },
        );
      }
      await ch.prefetch(PREFETCH);
      // the channel is this host's before consuming starts: amqplib delivers the messages
      // that follow the broker's consume-ok at once, in the same read, before `await` returns
      // (after a broker restart a full prefetch of them arrives at once; dropped unacked, they
      // would stall the consumer for good)
      ch.on('close', () => {
        if (this.ch === ch) this.ch = null;
      });
      this.ch = ch;
      this.unacked = null;
      this.unackedCount = 0;
      await ch.consume(this.queue, this.onMessage(ch), { exclusive: true, noAck: false });
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

  detach(): void {
    this.ch = null;
    this.unacked = null;
    this.unackedCount = 0;
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
      if (ch !== this.ch) return;
      const floor = Number(msg.properties.headers?.['x-floor'] ?? 0);
      if (!this.dedup.seen(msg.properties.messageId as string | undefined, floor)) this.handle(msg);
      else this.node.stats.duplicates++;
      this.ack(msg);
    };
  }

  /** Acknowledges in groups (one ack for many messages), at the latest at the end of the turn. */
  private ack(msg: ConsumeMessage): void {
    this.unacked = msg;
    if (++this.unackedCount >= PREFETCH / 4) this.flushAck();
    else if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(this.flushAck);
    }
  }

  private readonly flushAck = (): void => {
    this.ackScheduled = false;
    const m = this.unacked;
    const ch = this.ch;
    this.unacked = null;
    this.unackedCount = 0;
    if (m === null || ch === null) return;
    try {
      ch.ack(m, true);
    } catch {
      // the channel closed: the broker delivers the message again, and dedup drops it
    }
  };

  private handle(msg: ConsumeMessage): void {
    const replyTo = msg.properties.replyTo as string | undefined;
    let batch: Envelope[];
    try {
      if (msg.content.byteLength > MAX_BATCH_SIZE)
        throw new ActorError(`a message of ${msg.content.byteLength} bytes is larger than the ${MAX_BATCH_SIZE} bytes allowed`, {
          code: 'TOO_LARGE',
        });
      batch = decodeFrame(msg.content).batch;
    } catch (e) {
      reportError(toError(e), { actor: this.host.url, method: 'receive', kind: 'internal' });
      return;
    }
    const token = this.host.options.token;
    if (token !== undefined && token !== '') {
      const given: unknown = msg.properties.headers?.['x-tsactor-token'];
      if (!tokenMatches(given, token)) {
        for (const env of batch) {
          refuseInbound(
            env,
            this,
            replyTo,
            new HostError(
              `host ${this.host.url} refused ${env.method}(): the sender did not present the host's token (give both hosts the same options.token)`,
              { code: 'UNAUTHENTICATED' },
            ),
          );
        }
        return;
      }
    }
    for (const env of batch) deliverInbound(this.host, env, this, replyTo);
  }

  get maxMessageSize(): number {
    return MAX_MESSAGE_SIZE;
  }

  canAnswer(replyTo: string | undefined): boolean {
    return replyTo !== undefined;
  }

  answer(replyTo: string | undefined, id: number, kind: AnswerKind, value: PackedValue, where: string): void {
    if (replyTo === undefined) return;
    let env = encodeEnvelope({ kind, id, target: '', method: '', args: null, ctorArgs: null, value, sender: '' });
    if (env.byteLength > MAX_MESSAGE_SIZE) {
      const e = new ActorError(
        `the result of ${where} takes ${env.byteLength} bytes, more than the ${MAX_MESSAGE_SIZE} bytes an amqp:// message may carry`,
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
        value: packError(e, where),
        sender: '',
      });
    }
    this.node.replies.send(replyTo, env);
  }

  refused(_replyTo: string | undefined, env: Envelope, error: Error): void {
    reportRefused(this.host, env, error);
  }

  /** Stops consuming and deletes the host's queue (what is left in it was for this host only). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushAck();
    this.node.listeners.delete(this);
    this.node.replies.flush();
    const ch = this.ch;
    this.ch = null;
    if (ch !== null) {
      this.node.closingListeners++;
      try {
        // bounded: an operation on a channel whose connection just dropped may never be answered
        await bounded(ch.deleteQueue(this.queue), 5000);
      } catch {
        // the broker is gone: the queue stays; the next host at this URL drops what it holds
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

/**
 * The outbound channel from a host of this process (or code outside hosts) to one amqp://
 * host. Envelopes sent in one turn of the event loop are gathered into one batch, one AMQP
 * message, in the order sent. Each channel is a sender with its own id and sequence
 * numbers (see dedup.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  ActorError,
  HostDownError,
  MailboxFullError,
  reportDeadLetter,
  encodeBatch,
  encodeEnvelope,
  failCall,
  measureEnvelope,
  packCall,
  type OutgoingEnvelope,
  type ActorAddress,
  type ActorChannel,
  type HostBinding,
  type Reply,
} from '@tsactor/core/internal';
import type { AmqpNode, Outbound } from './connection';
import { SenderState } from './publisher';
import { MAX_MESSAGE_SIZE, amqpLimits } from './limits';
import { queueOf } from './names';

/** Bytes of framing around an envelope in a batch, at most (a tag and a varint length). */
const FRAMING = 11;
/** A batch is published once it holds this many envelopes ... */
const BATCH_COUNT = 512;
/** ... or this many bytes. */
const BATCH_BYTES = 256 * 1024;

export class AmqpChannel implements ActorChannel, Outbound {
  alive = true;
  private readonly queue: string;
  private readonly sender: SenderState;
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private askParts: number[] | null = null;
  private scheduled = false;
  private readonly senderUrl: string;
  /** the base of the sending host ('' outside hosts) */
  readonly fromBase: string;
  private readonly token: string | undefined;
  private readonly decodeTimeout: number | null;

  constructor(
    private readonly node: AmqpNode,
    readonly base: string,
    from: HostBinding | null,
  ) {
    this.queue = queueOf(base);
    this.sender = new SenderState(randomBytes(9).toString('base64url'));
    this.senderUrl = from?.url ?? '';
    this.fromBase = from?.base ?? '';
    this.token = from?.options.token;
    this.decodeTimeout = from?.options.timeout ?? 10;
    node.outbound.add(this);
  }

  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    if (!this.alive) {
      failCall(reply, target, method, new HostDownError(`the connection to ${this.base} is closed; ${method}() of ${target.url} not sent`));
      return;
    }
    if (reply !== null && this.node.isDown) {
      reply.reject(
        new HostDownError(
          `the RabbitMQ broker at ${this.node.cfg.display} is unreachable (${this.node.lastFailure || 'reconnecting'}); ${method}() of ${target.url} not sent. Tells are kept until it is back`,
        ),
      );
      return;
    }
    let out: OutgoingEnvelope;
    try {
      out = packCall(target, method, args, reply, this.senderUrl);
      const size = measureEnvelope(out);
      if (size > MAX_MESSAGE_SIZE) {
        throw new ActorError(
          `${target.desc.name}.${method}: the message takes ${size} bytes, more than the ${MAX_MESSAGE_SIZE} bytes an amqp:// message may carry`,
          {
            code: 'TOO_LARGE',
          },
        );
      }
      // the envelope, and the framing of it and of its batch (a tag and a length each)
      if (this.node.publisher.queued + this.bytes + size + FRAMING * (this.parts.length + 2) > amqpLimits().maxQueuedBytes) {
        this.overflow(target, method, reply);
        return;
      }
    } catch (e) {
      // a value that cannot travel (a proxy to a method without `@Ref`, a function ...)
      failCall(reply, target, method, e);
      return;
    }
    if (reply !== null) out.id = this.node.asks.register(reply, this.queue, target.url, method, this.decodeTimeout);
    const env = encodeEnvelope(out);
    if (this.bytes + env.byteLength > BATCH_BYTES && this.parts.length > 0) this.flush();
    if (reply !== null) (this.askParts ??= []).push(this.parts.length);
    this.parts.push(env);
    this.bytes += env.byteLength;
    if (this.parts.length >= BATCH_COUNT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** The send queue is full (the broker is away, blocks publishers, or does not keep up). */
  private overflow(target: ActorAddress, method: string, reply: Reply | null): void {
    const node = this.node;
    node.stats.overflowed++;
    const why = node.publisher.brokerBlocked
      ? 'the broker blocks publishing (a memory or disk alarm)'
      : node.isUp
        ? 'the broker does not take messages as fast as they are sent'
        : `the broker is unreachable (${node.lastFailure || 'connecting'})`;
    const error = new MailboxFullError(
      `${method}() of ${target.url} not sent: ${node.publisher.queued} bytes already wait to be published to the RabbitMQ broker at ${node.cfg.display}, the limit of setAmqpLimits({ maxQueuedBytes: ${amqpLimits().maxQueuedBytes} }); ${why}. Send less or raise the limit`,
    );
    if (reply !== null) reply.reject(error);
    else reportDeadLetter({ target: target.url, method, kind: 'tell', reason: 'overflow', count: 1, error });
  }

  /** Publishes the gathered envelopes as one message. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const askParts = this.askParts;
    this.parts = [];
    this.bytes = 0;
    this.askParts = null;
    this.node.publisher.enqueue({
      sender: this.sender,
      seq: ++this.sender.seq,
      queue: this.queue,
      body: encodeBatch(parts),
      parts: askParts === null ? null : parts,
      askParts,
      token: this.token,
      tag: 0,
      done: false,
    });
  };

  /** The channel is no longer used (its node closed, or a host at either end shut down). */
  dead(): void {
    if (!this.alive) return;
    this.flush();
    this.alive = false;
    this.node.outbound.delete(this);
  }
}

/**
 * The outbound channel from a host of this process (or code outside hosts) to one amqp://
 * host. Envelopes sent in one turn of the event loop are gathered into one batch, one AMQP
 * message, in the order sent. Each channel is a sender with its own id and sequence
 * numbers (see dedup.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  ActorError,
  EnvelopeKind,
  HostDownError,
  REF,
  encodeBatch,
  encodeEnvelope,
  packValue,
  reportError,
  toError,
  type ActorAddress,
  type ActorChannel,
  type HostBinding,
  type Reply,
} from '@tsactor/core/internal';
import { MAX_MESSAGE_SIZE, SenderState, type AmqpNode, type Outbound } from './node';
import { queueOf } from './names';

/** A batch is published once it holds this many envelopes ... */
const BATCH_COUNT = 512;
/** ... or this many bytes. */
const BATCH_BYTES = 256 * 1024;

function isHostAddress(addr: ActorAddress): boolean {
  return addr.desc.name === 'Host' && addr.desc.methods.spawn !== undefined && addr.desc.methods.describe !== undefined;
}

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
      const e = new HostDownError(`the connection to ${this.base} is closed; ${method}() of ${target.url} not sent`);
      if (reply !== null) reply.reject(e);
      else reportError(e, { actor: target.url, method, kind: 'tell' });
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
    const flags = target.desc.methods[method] ?? 0;
    const where = `${target.desc.name}.${method}`;
    let args1: Buffer;
    let ctorArgs: Buffer | null = null;
    try {
      if (method === 'spawn' && isHostAddress(target)) {
        args1 = packValue(args.slice(0, 2), { refs: true, where });
        ctorArgs = packValue(args.slice(2), { refs: true, where });
      } else {
        args1 = packValue(args, { refs: (flags & REF) !== 0, where });
      }
      const size = args1.byteLength + (ctorArgs?.byteLength ?? 0);
      if (size > MAX_MESSAGE_SIZE) {
        throw new ActorError(`${where}: the arguments take ${size} bytes, more than the ${MAX_MESSAGE_SIZE} bytes an amqp:// message may carry`, {
          code: 'TOO_LARGE',
        });
      }
    } catch (e) {
      // a value that cannot travel (a proxy to a method without @Ref, a function ...)
      if (reply !== null) reply.reject(e);
      else reportError(toError(e), { actor: target.url, method, kind: 'tell' });
      return;
    }
    const id = reply === null ? 0 : this.node.registerAsk(reply, this.queue, target.url, method, this.decodeTimeout);
    const env = encodeEnvelope({
      kind: reply === null ? EnvelopeKind.TELL : EnvelopeKind.ASK,
      id,
      target: target.id,
      method,
      args: args1,
      ctorArgs,
      value: null,
      sender: this.senderUrl,
    });
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

  /** Publishes the gathered envelopes as one message. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const askParts = this.askParts;
    this.parts = [];
    this.bytes = 0;
    this.askParts = null;
    this.node.enqueue({
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

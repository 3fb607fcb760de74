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
  NotFoundError,
  REF,
  decodeFrame,
  encodeEnvelope,
  packError,
  packValue,
  reportError,
  resolveSpawnClass,
  toError,
  unpackValue,
  type Envelope,
  type HostBinding,
  type Reply,
  type TransportServer,
} from '@tsactor/core/internal';
import { Dedup } from './dedup';
import { MAX_MESSAGE_SIZE, type AmqpNode, type Listener } from './node';
import { queueOf } from './names';
import { bounded } from './fifo';

/** Unacknowledged messages (batches) the broker may push to a host at once. */
const PREFETCH = 256;

/** Where the answer of an ask received over AMQP goes. */
class AmqpReply implements Reply {
  private done = false;
  constructor(
    private readonly node: AmqpNode,
    private readonly replyTo: string,
    private readonly id: number,
    private readonly refs: boolean,
    private readonly where: string,
  ) {}

  resolve(value: unknown): void {
    if (this.done) return;
    this.done = true;
    let bytes: Buffer;
    try {
      bytes = packValue(value, { refs: this.refs, where: `the result of ${this.where}` });
      if (bytes.byteLength > MAX_MESSAGE_SIZE) {
        throw new ActorError(`the result of ${this.where} takes ${bytes.byteLength} bytes, more than the ${MAX_MESSAGE_SIZE} bytes an amqp:// message may carry`, {
          code: 'TOO_LARGE',
        });
      }
    } catch (e) {
      this.send(EnvelopeKind.ERROR, packError(e, this.where));
      return;
    }
    this.send(EnvelopeKind.RESULT, bytes);
  }

  reject(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.send(EnvelopeKind.ERROR, packError(error, this.where));
  }

  private send(kind: number, value: Buffer): void {
    this.node.sendReply(this.replyTo, encodeEnvelope({ kind, id: this.id, target: '', method: '', args: null, ctorArgs: null, value, sender: '' }));
  }
}

export class HostListener implements Listener, TransportServer {
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
          new ActorError(`dropped ${q.messageCount} message batch(es) left in the queue '${this.queue}' by an earlier host at ${this.host.base}`),
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
          reportError(new HostDownError(`the queue '${this.queue}' of host ${this.host.url} was deleted on the broker; the host receives nothing any more`), {
            actor: this.host.url,
            method: 'consume',
            kind: 'internal',
          });
        }
        return;
      }
      if (ch !== this.ch) return;
      const floor = Number((msg.properties.headers as Record<string, unknown> | undefined)?.['x-floor'] ?? 0);
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
      if (msg.content.byteLength > MAX_MESSAGE_SIZE) throw new ActorError(`a message of ${msg.content.byteLength} bytes is larger than the ${MAX_MESSAGE_SIZE} bytes allowed`, { code: 'TOO_LARGE' });
      batch = decodeFrame(msg.content).batch;
    } catch (e) {
      reportError(toError(e), { actor: this.host.url, method: 'receive', kind: 'internal' });
      return;
    }
    const token = this.host.options.token;
    if (token !== undefined && token !== '') {
      const given = (msg.properties.headers as Record<string, unknown> | undefined)?.['x-tsactor-token'];
      if (given !== token) {
        for (const env of batch) {
          this.refuse(env, replyTo, new HostError(`host ${this.host.url} refused ${env.method}(): the sender did not present the host's token (give both hosts the same options.token)`, { code: 'UNAUTHENTICATED' }));
        }
        return;
      }
    }
    for (const env of batch) this.deliver(env, replyTo);
  }

  private refuse(env: Envelope, replyTo: string | undefined, error: Error): void {
    if (env.kind === EnvelopeKind.ASK && replyTo !== undefined && env.id !== 0) {
      new AmqpReply(this.node, replyTo, env.id, false, env.method).reject(error);
    } else {
      reportError(error, { actor: this.host.base + env.target, method: env.method, kind: 'tell' });
    }
  }

  private deliver(env: Envelope, replyTo: string | undefined): void {
    if (env.kind !== EnvelopeKind.TELL && env.kind !== EnvelopeKind.ASK) {
      this.refuse(env, replyTo, new ActorError(`malformed message to host ${this.host.url}: ${env.kind === 0 ? env.method : `unexpected kind ${env.kind}`}`, { code: 'MALFORMED' }));
      return;
    }
    const host = this.host;
    if (host.closed) {
      this.refuse(env, replyTo, new HostDownError(`the host ${host.url} is shut down; ${env.method}() was not handled`));
      return;
    }
    const t = host.target(env.target);
    if (t === null) {
      this.refuse(env, replyTo, new NotFoundError(`no actor '${env.target}' on host ${host.base} (${env.method}() not delivered); spawn it first or check the id`));
      return;
    }
    const desc = t.address.desc;
    const flags = desc.methods[env.method];
    const where = `${desc.name}.${env.method}`;
    if (flags === undefined) {
      this.refuse(env, replyTo, new ActorError(`${desc.name} (${t.address.url}) has no @Tell or @Ask method '${env.method}'`, { code: 'UNKNOWN_METHOD' }));
      return;
    }
    const opts = { owner: t.cell, timeout: host.options.timeout ?? 10 };
    let args: unknown;
    try {
      args = unpackValue(env.args, opts);
      if (!Array.isArray(args)) throw new ActorError(`malformed message: the arguments of ${where} are not a list`, { code: 'MALFORMED' });
      if (env.method === 'spawn' && t.address === host.address) {
        if (host.options.remoteSpawn === false) {
          throw new ActorError(`host ${host.url} refuses remote spawn (it was created with remoteSpawn: false)`, { code: 'SPAWN_REFUSED' });
        }
        // the class is checked (module root, @Actor) before the constructor arguments are read
        const { klass } = resolveSpawnClass(args[1], host.options.moduleRoot ?? process.cwd());
        const ctor = env.ctorArgs === null ? [] : unpackValue(env.ctorArgs, opts);
        if (!Array.isArray(ctor)) throw new ActorError(`malformed message: the constructor arguments of spawn are not a list`, { code: 'MALFORMED' });
        args = [args[0], klass, ...ctor];
      }
    } catch (e) {
      this.refuse(env, replyTo, toError(e));
      return;
    }
    const reply = env.kind === EnvelopeKind.ASK && replyTo !== undefined && env.id !== 0 ? new AmqpReply(this.node, replyTo, env.id, (flags & REF) !== 0, where) : null;
    if (t.cell !== null) t.cell.enqueue(env.method, args as unknown[], reply);
    else t.channel.send(t.address, env.method, args as unknown[], reply);
  }

  /** Stops consuming and deletes the host's queue (what is left in it was for this host only). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushAck();
    this.node.listeners.delete(this);
    this.node.flushReplies();
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


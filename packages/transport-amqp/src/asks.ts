/**
 * Asks (caller side): a pending ask waits here for its answer on the process's reply queue.
 * It rejects with HostDownError at once when the connection to the broker is lost, when its
 * message comes back unroutable (no host has that queue), or when a probe of the target
 * host's queue (every PROBE_INTERVAL while asks are pending) finds that nothing consumes it
 * any more (the host's process died). An ask leaves the pending asks once its caller gave
 * it up (core's onAskAbandoned: the Future then fails with its TimeoutError); an answer
 * that comes later is a dead letter. An ask nobody waits for is dropped ASK_GRACE after
 * its timeout.
 */
import { MAX_MESSAGE_SIZE } from './limits';
import type { Channel, ConsumeMessage } from 'amqplib';
import {
  ActorError,
  EnvelopeKind,
  askOwner,
  askTimeout,
  onAskAbandoned,
  reportDeadLetter,
  HostDownError,
  decodeFrame,
  reportError,
  toError,
  unpackError,
  unpackResult,
  limitsForSize,
  router,
  deathWatch,
  type ActorCell,
  type Envelope,
  type Reply,
} from '@tsactor/core/internal';
import { bounded } from './fifo';
import { baseOfQueue, queueOf } from './names';
import type { AmqpNode } from './connection';

/** Milliseconds between probes of hosts that have pending asks. */
const PROBE_INTERVAL = 400;
/** Extra milliseconds a pending ask is kept after its timeout (its answer is then dropped). */
const ASK_GRACE = 30_000;

/** An ask waiting for its answer. */
export class PendingAsk {
  /** taken out of the pending asks */
  taken = false;
  constructor(
    readonly id: number,
    readonly reply: Reply,
    readonly queue: string,
    readonly url: string,
    readonly method: string,
    readonly owner: ActorCell | null,
    readonly decodeTimeout: number | null,
    /** performance.now() after which the entry is dropped (for an ask nobody waits for) */
    readonly expires: number,
  ) {}
}

/** The asks of one broker connection waiting for their answer, and the probes of their hosts. */
export class PendingAsks {
  private readonly asks = new Map<number, PendingAsk>();
  private readonly asksPerQueue = new Map<string, number>();
  private askSeq = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly probing = new Set<string>();
  private probeCh: Promise<Channel> | null = null;

  constructor(private readonly node: AmqpNode) {}

  /** asks waiting for their answer */
  get size(): number {
    return this.asks.size;
  }

  /** Registers an ask; returns its id (for the envelope). */
  register(reply: Reply, queue: string, url: string, method: string, decodeTimeout: number | null): number {
    const id = ++this.askSeq;
    const timeout = askTimeout(reply);
    const a = new PendingAsk(
      id,
      reply,
      queue,
      url,
      method,
      askOwner(reply),
      decodeTimeout,
      timeout === null ? Infinity : performance.now() + timeout * 1000 + ASK_GRACE,
    );
    this.asks.set(id, a);
    onAskAbandoned(reply, id, this.abandon);
    this.asksPerQueue.set(queue, (this.asksPerQueue.get(queue) ?? 0) + 1);
    if (this.probeTimer === null && this.node.state === 'up') this.startProbes();
    return id;
  }

  /** Removes a pending ask and returns it (undefined when it is not pending). */
  take(id: number): PendingAsk | undefined {
    const a = this.asks.get(id);
    if (a === undefined) return undefined;
    a.taken = true;
    this.asks.delete(id);
    const n = (this.asksPerQueue.get(a.queue) ?? 1) - 1;
    if (n <= 0) this.asksPerQueue.delete(a.queue);
    else this.asksPerQueue.set(a.queue, n);
    if (this.asks.size === 0 && !this.watching()) this.stopProbes();
    return a;
  }

  /** The caller gave the ask up at its timeout (onAskAbandoned): it leaves the pending asks. */
  private readonly abandon = (id: number): void => {
    this.take(id);
  };

  /** Consumes the process's reply queue: answers go to their asks. */
  readonly onReplyMessage = (msg: ConsumeMessage | null): void => {
    if (msg === null) return;
    let batch: Envelope[];
    try {
      batch = decodeFrame(msg.content).batch;
    } catch (e) {
      reportError(toError(e), { actor: this.node.replyQueue, method: 'reply', kind: 'internal' });
      return;
    }
    for (const env of batch) {
      const a = this.take(env.id);
      if (a === undefined) {
        // its caller gave it up (or it failed on an outage): nobody waits for this answer
        reportDeadLetter({ target: this.node.replyQueue, method: '', kind: 'answer', reason: 'timed-out', count: 1 });
        continue;
      }
      const opts = { owner: a.owner, timeout: a.decodeTimeout, limits: limitsForSize(MAX_MESSAGE_SIZE) };
      if (env.kind === EnvelopeKind.RESULT) {
        let value: unknown;
        try {
          value = unpackResult(env, opts);
        } catch (e) {
          a.reply.reject(e);
          continue;
        }
        a.reply.resolve(value);
      } else if (env.kind === EnvelopeKind.ERROR) {
        a.reply.reject(unpackError(env.value, opts));
      } else {
        a.reply.reject(
          new ActorError(`malformed answer to ${a.method}() of ${a.url}: ${env.method || `kind ${env.kind}`}`, { code: 'MALFORMED' }),
        );
      }
    }
  };

  /**
   * Rejects every pending ask, and takes the asks out of the messages not yet confirmed
   * (they go again without them, so the sequence numbers stay without gaps).
   */
  rejectAll(error: (a: PendingAsk) => Error): void {
    if (this.asks.size > 0) {
      const all = [...this.asks.values()];
      for (const a of all) a.taken = true;
      this.asks.clear();
      this.asksPerQueue.clear();
      this.stopProbes();
      for (const a of all) a.reply.reject(error(a));
    }
    this.node.publisher.stripQueuedAsks();
  }

  private rejectQueue(queue: string, error: (a: PendingAsk) => Error): void {
    for (const [id, a] of this.asks) {
      if (a.queue !== queue) continue;
      this.take(id);
      a.reply.reject(error(a));
    }
  }

  // ------------------------------------------------------------ probes

  /** True while this process watches actors of amqp:// hosts of other processes (their deaths are found by probing too). */
  private watching(): boolean {
    return deathWatch.remoteBases('amqp').size > 0;
  }

  startProbes(): void {
    if (this.probeTimer !== null || (this.asks.size === 0 && !this.watching())) return;
    this.probeTimer = setInterval(this.probeAll, PROBE_INTERVAL);
    this.probeTimer.unref();
  }

  stopProbes(): void {
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  /** The connection changed: the next probe opens a channel on the new one. */
  resetProbeChannel(): void {
    this.probeCh = null;
  }

  private readonly probeAll = (): void => {
    if (this.node.state !== 'up') return;
    const now = performance.now();
    for (const [id, a] of this.asks) if (a.expires < now) this.take(id);
    const queues = new Set(this.asksPerQueue.keys());
    // the hosts of watched actors are checked too, so that their watchers hear 'host-down'
    for (const base of deathWatch.remoteBases('amqp')) queues.add(queueOf(base));
    if (queues.size === 0) {
      this.stopProbes();
      return;
    }
    for (const queue of queues) {
      if (!this.probing.has(queue)) void this.probe(queue);
    }
  };

  private probeChannel(): Promise<Channel> {
    const conn = this.node.connection;
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
        this.rejectQueue(
          queue,
          (a) =>
            new HostDownError(
              `the host ${base} is down: nothing consumes its queue '${queue}' any more; ${a.method}() of ${a.url} is not answered`,
            ),
        );
        router.peerDown(base);
      }
    } catch (e) {
      const msg = toError(e).message;
      if (/404|NOT.FOUND/.test(msg)) {
        this.rejectQueue(
          queue,
          (a) =>
            new HostDownError(
              `the host ${base} is down: its queue '${queue}' is gone (the host was shut down); ${a.method}() of ${a.url} is not answered`,
            ),
        );
        router.peerDown(base);
      }
    } finally {
      this.probing.delete(queue);
    }
  }
}

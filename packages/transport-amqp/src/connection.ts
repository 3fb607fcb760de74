/**
 * The connection of this process to one RabbitMQ broker, shared by every amqp:// host of
 * the process and every outbound channel to amqp:// hosts: connecting, losing the
 * connection and reconnecting, closing. What travels over it is handled by its parts:
 * publishing (publisher.ts), answers of served hosts (replies.ts) and pending asks
 * (asks.ts).
 */
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { HostDownError, reportError, toError } from '@tsactor/core/internal';
import { explainBrokerFailure, scrub, type BrokerConfig } from './config';
import { bounded } from './fifo';
import { Publisher } from './publisher';
import { ReplySender } from './replies';
import { PendingAsks } from './asks';

/** Longest wait (ms) between two reconnection attempts. */
const MAX_RECONNECT_DELAY = 1000;
/** Milliseconds that close() waits for queued messages to be confirmed. */
const CLOSE_FLUSH_TIMEOUT = 5000;

/** What the node needs of a served host. */
export interface Listener {
  /** (re)starts consuming on a fresh connection */
  attach(conn: ChannelModel, first: boolean): Promise<void>;
  /** the connection is gone */
  detach(): void;
  /** acknowledges at once the messages it has handled (before answers to their asks go out) */
  ackNow(): void;
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
  /** times the broker blocked the connection (a resource alarm) */
  blocked: number;
  /** messages refused because the send queue was full (asks rejected, tells reported as dead letters) */
  overflowed: number;
  /** messages received without the MAC of the host's token (refused, nothing recorded) */
  unauthenticated: number;
}

/** The broker connection of this process (see the module comment); named a node, as in RabbitMQ's own terms. */
export class AmqpNode {
  state: State = 'idle';
  private everUp = false;
  private closing = false;
  private conn: ChannelModel | null = null;
  /** the reply queue of this process on the current connection */
  replyQueue = '';
  /** publishing of message batches to hosts' queues */
  readonly publisher = new Publisher(this);
  /** answers of the asks handled by the served hosts */
  readonly replies = new ReplySender(this);
  /** asks sent from this process, waiting for their answer */
  readonly asks = new PendingAsks(this);
  readonly listeners = new Set<Listener>();
  readonly outbound = new Set<Outbound>();
  private attemptPromise: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private upWaiters: Array<() => void> = [];
  /** why the broker is unreachable, when it is */
  lastFailure = '';
  readonly stats: NodeStats = {
    connects: 0,
    disconnects: 0,
    published: 0,
    republished: 0,
    confirmed: 0,
    returned: 0,
    asksRejectedOnOutage: 0,
    duplicates: 0,
    blocked: 0,
    overflowed: 0,
    unauthenticated: 0,
  };

  constructor(
    readonly cfg: BrokerConfig,
    private readonly onClosed: (node: AmqpNode) => void,
  ) {}

  // ------------------------------------------------------------ connection

  /** Connects now if not connected; rejects with the broker's failure. */
  connect(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed')
      return Promise.reject(new HostDownError(`the connection to the RabbitMQ broker at ${this.cfg.display} is closed`));
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
      opening.then(
        (c) => c.close().catch(() => undefined),
        () => undefined,
      );
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
    // a resource alarm of the broker (memory, disk): publishing waits in the bounded send queue
    conn.on('blocked', () => {
      this.stats.blocked++;
      this.publisher.setBrokerBlocked(true);
    });
    conn.on('unblocked', () => this.publisher.setBrokerBlocked(false));
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
    this.publisher.pump();
    this.asks.startProbes();
  }

  /** Opens the channels and the reply queue, and (re)attaches the served hosts. */
  private async setUp(conn: ChannelModel, attempt: { abandoned: boolean }): Promise<void> {
    const pub = await conn.createConfirmChannel();
    this.publisher.watch(pub);
    const replyPub = await conn.createChannel();
    replyPub.on('error', () => undefined);
    const replyCh = await conn.createChannel();
    replyCh.on('error', () => undefined);
    const q = await replyCh.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await replyCh.consume(q.queue, this.asks.onReplyMessage, { noAck: true });
    for (const l of this.listeners) {
      try {
        await l.attach(conn, false);
      } catch (e) {
        // e.g. another process took the host's URL while this one was cut off: the rest of
        // the process goes on; that host receives nothing until it is created again
        reportError(toError(e), { actor: this.cfg.display, method: 'reconnect', kind: 'internal' });
      }
    }
    if (this.state === 'closed' || attempt.abandoned) throw new HostDownError('closed while connecting');
    this.conn = conn;
    this.publisher.use(pub);
    this.replies.use(replyPub);
    this.replyQueue = q.queue;
    this.asks.resetProbeChannel();
    this.state = 'up';
    this.everUp = true;
    this.attempts = 0;
    this.lastFailure = '';
    this.stats.connects++;
    const ws = this.upWaiters;
    this.upWaiters = [];
    for (const w of ws) w();
    this.replies.flush();
  }

  /** The connection is gone (broker stopped, network cut): reject the asks, keep the tells, reconnect. */
  private lost(conn: ChannelModel, e?: Error): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.publisher.detach();
    this.replies.detach(); // the asking side fails its asks on the outage
    this.asks.resetProbeChannel();
    this.replyQueue = '';
    if (this.state === 'closed') return;
    this.state = 'down';
    this.stats.disconnects++;
    const why = e !== undefined ? scrub(this.cfg, e.message) : 'closed by the broker';
    this.lastFailure = why;
    this.publisher.requeueUnconfirmed();
    this.stats.asksRejectedOnOutage += this.asks.size;
    this.asks.rejectAll(
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
    this.asks.rejectAll((a) => new HostDownError(`${a.method}() of ${a.url} not sent: ${message}`));
    if (this.needsConnection()) {
      this.state = this.everUp ? 'down' : 'connecting';
      this.scheduleReconnect();
    } else {
      this.state = this.everUp ? 'down' : 'idle';
    }
  }

  private needsConnection(): boolean {
    return !this.closing && (this.listeners.size > 0 || this.publisher.pending > 0);
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

  /** True while a connection attempt is under way. */
  get connecting(): boolean {
    return this.attemptPromise !== null;
  }

  /** Messages wait to be published: publishes them now when up, else starts connecting if nothing else will. */
  wantPublish(): void {
    if (this.state === 'up') this.publisher.pump();
    else if (this.state === 'idle' || (this.state === 'down' && this.reconnectTimer === null && this.attemptPromise === null)) {
      this.connect().catch(() => undefined);
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
    if (this.publisher.pending > 0 && this.state !== 'idle') {
      await this.publisher.drain(CLOSE_FLUSH_TIMEOUT);
    }
    this.replies.flush();
    this.state = 'closed';
    this.clearReconnect();
    this.asks.stopProbes();
    const lost = this.publisher.close();
    if (lost > 0) {
      reportError(
        new HostDownError(
          `${lost} message batch(es) to amqp:// hosts were not confirmed by the RabbitMQ broker at ${this.cfg.display} before the connection closed${this.lastFailure ? ` (${this.lastFailure})` : ''}`,
        ),
        { actor: this.cfg.display, method: 'close', kind: 'internal' },
      );
    }
    this.asks.rejectAll(
      (a) => new HostDownError(`the connection to the RabbitMQ broker was closed (shutdown); ${a.method}() of ${a.url} is not answered`),
    );
    for (const o of this.outbound) o.dead();
    this.outbound.clear();
    const conn = this.conn;
    this.conn = null;
    this.replies.close();
    this.asks.resetProbeChannel();
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

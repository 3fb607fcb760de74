/**
 * The outbound side: one GrpcChannel per (sending host, remote host), carrying every message
 * from that host to the remote one over one bidirectional stream, in order and batched.
 * Asks wait in `pending` for their RESULT or ERROR envelope. The channel survives its
 * connection: when the stream ends or the peer goes silent, pending asks reject with
 * HostDownError at once; the next message after a (jittered, growing) backoff connects again.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  ActorError,
  EnvelopeKind,
  askMethod,
  askOwner,
  HostDownError,
  HostError,
  MailboxFullError,
  WIRE_VERSION,
  decodeFrame,
  measureEnvelope,
  encodeFrame,
  packCall,
  recordPeer,
  failCall,
  onAskAbandoned,
  PendingAsks,
  reportDeadLetter,
  reportError,
  router,
  unpackError,
  unpackResult,
  limitsForSize,
  type WireLimits,
  toError,
  type ActorAddress,
  type ActorChannel,
  type Frame,
  type OutgoingEnvelope,
  type HostBinding,
  type Reply,
} from '@tsactor/core/internal';
import { connectPath } from './service';
import { settings, grpcOptions, queueBound } from './config';
import { Hearing } from './hearing';
import { Outbox, heartbeat, type Beating } from './outbox';
import { Ledger, readAck } from './ledger';

/*
 * The lifecycle of a channel: IDLE -> CONNECTING -> READY, back to DOWN when the connection
 * is lost (the next send connects again after the backoff), CLOSED for good.
 */
/** never connected */
const IDLE = 0;
/** the stream is open, the peer's Welcome has not come yet */
const CONNECTING = 1;
/** welcomed: messages flow */
const READY = 2;
/** the connection was lost; a send after `retryAt` connects again */
const DOWN = 3;
/** closed for good (closeAll, or the sending host shut down) */
const CLOSED = 4;
/** The state of a channel. */
type ChannelState = typeof IDLE | typeof CONNECTING | typeof READY | typeof DOWN | typeof CLOSED;

function methodOf(reply: Reply): string {
  return askMethod(reply, 'an ask');
}

const identity = (b: Buffer): Buffer => b;

/** Connection attempts made to learn which tells written before a lost connection arrived, before they are reported as unconfirmed. */
const RESOLVE_ATTEMPTS = 5;

/** The gRPC metadata key that names a sender's session (see ledger.ts). */
export const SESSION_KEY = 'tsactor-session';

function newSession(): string {
  return randomBytes(12).toString('base64url');
}

/** 'host:port' of a grpc:// or grpcs:// base URL; HostError when it has no port. */
export function parseBase(base: string): { scheme: 'grpc' | 'grpcs'; authority: string; port: number; hostname: string } {
  const m = /^(grpcs?):\/\/(\[[^\]]+\]|[^/:]+):(\d+)\/$/.exec(base);
  if (m === null) {
    throw new HostError(`'${base}' is not a gRPC host URL; expected grpc://HOST:PORT/ or grpcs://HOST:PORT/, e.g. grpc://127.0.0.1:1277/`, {
      code: 'BAD_URL',
    });
  }
  const port = Number(m[3]);
  if (port <= 0 || port > 65535) throw new HostError(`'${base}': port ${m[3]} is out of range (1-65535)`, { code: 'BAD_URL' });
  return { scheme: m[1] as 'grpc' | 'grpcs', authority: `${m[2]}:${m[3]}`, port, hostname: m[2]! };
}

/** Every channel that is not closed (closeAll closes them). */
export const channels = new Set<GrpcChannel>();

export class GrpcChannel implements ActorChannel, Beating {
  private state: ChannelState = IDLE;
  private client: grpc.Client | null = null;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  /** the frames written in this session, to learn which tells the peer never received */
  private readonly ledger = new Ledger();
  private readonly outbox = new Outbox(null, this.ledger);
  private readonly pending = new PendingAsks<Reply>();
  private session = newSession();
  /** a reconnection that only learns the fate of tells written before a lost connection */
  private resolveTimer: NodeJS.Timeout | null = null;
  /** an ask whose waits all timed out: its entry goes (no answer is expected any more) */
  private readonly abandon = (id: number): void => {
    this.pending.take(id);
  };
  private nextId = 1;
  /** when the peer was last heard from */
  private readonly hearing = new Hearing(0);
  /** the verdict of declareDown, kept while the host stays silent since (its frame count still declaredFrames) */
  private declared: Error | null = null;
  private declaredFrames = 0;
  private connectDeadline = 0;
  private failures = 0;
  /** resolved when a connection attempt ends (ready or failed) */
  private settledWaiters: Array<() => void> = [];
  private retryAt = 0;
  private downError: Error | null = null;
  private peerMax = settings.maxMessageSize;
  private readonly target: ReturnType<typeof parseBase>;
  private readonly decodeOpts: { owner: null; timeout: number; limits: Partial<WireLimits> | undefined };

  constructor(
    readonly base: string,
    readonly from: HostBinding | null,
  ) {
    this.target = parseBase(base);
    this.decodeOpts = { owner: null, timeout: from?.options.timeout ?? 10, limits: limitsForSize(settings.maxMessageSize) };
    channels.add(this);
  }

  get alive(): boolean {
    return this.state !== CLOSED;
  }

  /** true while a stream to the peer is open */
  get connected(): boolean {
    return this.state === READY;
  }

  /** asks waiting for their answer */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** bytes of messages queued for the peer and not yet taken by the stream */
  get queuedBytes(): number {
    return this.outbox.queuedBytes;
  }

  /** tells written to the peer that it has not acknowledged yet */
  get unconfirmedTells(): number {
    return this.ledger.unconfirmed;
  }

  /**
   * true while the peer is connected but has been silent for more than a few heartbeats:
   * it may be busy (a long synchronous method) or gone; it is declared down only after
   * `heartbeatTimeout`.
   */
  get suspected(): boolean {
    if (this.state !== READY) return false;
    const now = performance.now();
    return now - this.hearing.at(now) > 5 * settings.heartbeatInterval * 1000;
  }

  /**
   * ActorChannel.declareDown: the host is said to be gone (e.g. by a cluster's membership).
   * A silent channel fails now, as after `heartbeatTimeout`. One that heard from the host
   * lately keeps the verdict: it fails once the host has been silent long enough to be
   * suspected (the verdict can come sooner than that after the last word, e.g. a lease that
   * ends a moment after a cut), and forgets it when the host speaks again.
   */
  declareDown(error: Error): void {
    if (this.state === CONNECTING || this.suspected) this.fail(error);
    else if (this.state === READY) {
      this.declared = error;
      this.declaredFrames = this.hearing.frames;
    }
  }

  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    if (this.state === CLOSED) {
      this.refuse(
        reply,
        target,
        method,
        new HostDownError(`the connection to ${this.base} is closed; ${method}() of ${target.url} not sent`),
      );
      return;
    }
    if (this.state === DOWN || this.state === IDLE) {
      if (this.state === DOWN && performance.now() < this.retryAt) {
        this.refuse(reply, target, method, this.downFor(target, method));
        return;
      }
      try {
        this.open();
      } catch (e) {
        // e.g. TLS options that grpc-js cannot use
        this.state = DOWN;
        this.retryAt = performance.now() + settings.maxBackoff * 1000;
        this.downError = new HostError(`cannot connect to host ${this.base}: ${toError(e).message}`, { code: 'CONNECT_FAILED', cause: e });
        this.refuse(reply, target, method, this.downError);
        return;
      }
    }
    let env: OutgoingEnvelope;
    try {
      env = packCall(target, method, args, reply);
    } catch (e) {
      this.refuse(reply, target, method, e);
      return;
    }
    const id = reply === null ? 0 : this.nextId++;
    env.id = id;
    const size = measureEnvelope(env, this.outbox.sizes);
    if (size > this.peerMax) {
      this.refuse(
        reply,
        target,
        method,
        new ActorError(
          `${method}() of ${target.url}: the message is ${size} bytes, over the ${this.peerMax}-byte limit of host ${this.base}; send less data per message (or raise maxMessageSize with configureGrpcTransport on both sides)`,
          { code: 'TOO_LARGE' },
        ),
      );
      return;
    }
    if (this.outbox.queuedBytes + size > queueBound()) {
      this.overflow(reply, target, method);
      return;
    }
    if (reply !== null) {
      this.pending.set(id, reply);
      onAskAbandoned(reply, id, this.abandon);
    }
    this.outbox.add(env, size, reply === null);
  }

  /** The peer does not take what is queued for it: an ask rejects with MailboxFullError, a tell is a dead letter. */
  private overflow(reply: Reply | null, target: ActorAddress, method: string): void {
    const error = new MailboxFullError(
      `${method}() of ${target.url} not sent: ${this.outbox.queuedBytes} bytes are already queued for host ${this.base}, which does not read them fast enough (limit ${queueBound()} bytes, maxQueuedBytes); slow down or wait for answers`,
    );
    if (reply !== null) reply.reject(error);
    else reportDeadLetter({ target: target.url, method, kind: 'tell', reason: 'overflow', count: 1, error });
  }

  /** An ask rejects with `error`; a tell that cannot go because the host is down or closed is a dead letter, other refusals are reported. */
  private refuse(reply: Reply | null, target: ActorAddress, method: string, error: unknown): void {
    if (reply === null && (error instanceof HostDownError || (error instanceof HostError && error.code !== 'BAD_URL'))) {
      reportDeadLetter({ target: target.url, method, kind: 'tell', reason: 'host-down', count: 1, error });
      return;
    }
    failCall(reply, target, method, error);
  }

  private downFor(target: ActorAddress, method: string): Error {
    const why = this.downError === null ? '' : `: ${this.downError.message}`;
    if (this.downError instanceof HostError) return this.downError;
    return new HostDownError(`the host ${this.base} of ${target.url} is down (${method}() not delivered)${why}`);
  }

  // ------------------------------------------------------------ connection

  private credentials(): grpc.ChannelCredentials {
    if (this.target.scheme === 'grpc') return grpc.credentials.createInsecure();
    const tls = this.from?.options.tls;
    const ca = tls?.ca ?? tls?.cert;
    // a host with its own certificate presents it (servers created with a CA require one)
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- options may come from JavaScript, without a key
    const own = tls?.cert !== undefined && tls.key !== undefined ? { key: Buffer.from(tls.key), cert: Buffer.from(tls.cert) } : null;
    return grpc.credentials.createSsl(ca === undefined ? null : Buffer.from(ca), own?.key ?? null, own?.cert ?? null);
  }

  private open(): void {
    this.state = CONNECTING;
    this.welcomed = false;
    this.declared = null;
    this.peerMax = settings.maxMessageSize;
    const client = new grpc.Client(this.target.authority, this.credentials(), {
      ...grpcOptions(),
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    const metadata = new grpc.Metadata();
    metadata.set(SESSION_KEY, this.session);
    const call = client.makeBidiStreamRequest(connectPath, identity, identity, metadata, {});
    this.client = client;
    this.call = call;
    const now = performance.now();
    this.hearing.heard(now);
    this.connectDeadline = now + settings.connectTimeout * 1000;
    call.on('data', (buf: Buffer) => {
      if (this.call === call) this.receive(buf);
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (this.call === call) this.fail(this.describeError(e));
    });
    call.on('end', () => {
      if (this.call === call) this.fail(new HostDownError(`host ${this.base} closed the connection`));
    });
    call.on('drain', () => {
      if (this.call === call) this.outbox.drained();
    });
    call.write(
      encodeFrame({
        hello: { version: WIRE_VERSION, from: this.from?.base ?? '', to: this.base, token: this.from?.options.token ?? '' },
      }),
    );
    heartbeat.add(this);
  }

  private describeError(e: grpc.ServiceError): Error {
    if (this.state === CONNECTING) {
      return new HostDownError(`cannot connect to host ${this.base}: ${e.details || e.message}`, { cause: e });
    }
    return new HostDownError(`the connection to host ${this.base} failed: ${e.details || e.message}`, { cause: e });
  }

  private receive(buf: Buffer): void {
    this.hearing.frames++;
    const ack = buf[0] === 0x30 ? readAck(buf) : -1;
    if (ack >= 0) {
      this.acknowledged(ack);
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(buf);
    } catch (e) {
      reportError(toError(e), { actor: this.base, method: 'receive', kind: 'internal' });
      return;
    }
    if (frame.close !== null) {
      const c = frame.close;
      const error =
        c.code === 'UNAUTHENTICATED' || c.code === 'VERSION' || c.code === 'PROTOCOL'
          ? new HostError(`host ${this.base} refused the connection: ${c.message}`, { code: c.code })
          : new HostDownError(`host ${this.base} closed the connection: ${c.message}`);
      this.fail(error);
      return;
    }
    if (frame.welcome !== null && this.state === CONNECTING) {
      // ready once the resume count (the ack frame right after the Welcome) has come
      if (frame.welcome.maxMessageSize > 0) this.peerMax = Math.min(settings.maxMessageSize, frame.welcome.maxMessageSize);
      this.welcomed = true;
    }
    for (const env of frame.batch) this.answer(env);
  }

  private welcomed = false;

  /** An ack frame: the first after the Welcome gives the resume count, the next ones confirm what arrived. */
  private acknowledged(n: number): void {
    if (this.state === READY) {
      this.ledger.ack(n);
      return;
    }
    if (this.state !== CONNECTING || !this.welcomed) return;
    const lost = this.ledger.resume(n);
    if (lost > 0) {
      reportDeadLetter({
        target: this.base,
        method: '',
        kind: 'tell',
        reason: 'connection-lost',
        count: lost,
        error: new HostDownError(`${lost} tell(s) written to host ${this.base} did not reach it before the connection was lost`),
      });
    }
    this.state = READY;
    recordPeer(this.base, true, 'grpc');
    this.wakeWaiters();
    this.failures = 0;
    this.downError = null;
    const call = this.call!;
    this.outbox.attach({ write: (f) => call.write(f) });
  }

  private answer(env: Frame['batch'][number]): void {
    if (env.kind !== EnvelopeKind.RESULT && env.kind !== EnvelopeKind.ERROR) {
      if (env.kind === 0 || env.id === 0) {
        // a notice from the peer about something it could not handle (e.g. a malformed frame)
        const why = env.kind === EnvelopeKind.ERROR ? unpackError(env.value, { owner: null }).message : env.method;
        reportError(new ActorError(`host ${this.base} reported: ${why}`), { actor: this.base, method: 'receive', kind: 'internal' });
      }
      return;
    }
    if (env.id === 0) {
      reportError(unpackError(env.value, { owner: null }), { actor: this.base, method: 'receive', kind: 'internal' });
      return;
    }
    const reply = this.pending.take(env.id);
    if (reply === undefined) {
      // the ask timed out (or the id is unknown): nobody waits for this answer
      reportDeadLetter({ target: this.base, method: '', kind: 'answer', reason: 'timed-out', count: 1 });
      return;
    }
    const owner = askOwner(reply);
    const opts = owner === null ? this.decodeOpts : { owner, timeout: this.decodeOpts.timeout, limits: this.decodeOpts.limits };
    if (env.kind === EnvelopeKind.ERROR) {
      reply.reject(unpackError(env.value, opts));
      return;
    }
    let value: unknown;
    try {
      value = unpackResult(env, opts);
    } catch (e) {
      reply.reject(e);
      return;
    }
    reply.resolve(value);
  }

  beat(now: number, late: boolean): void {
    if (this.state === CONNECTING) {
      if (now > this.connectDeadline) {
        this.fail(new HostDownError(`cannot connect to host ${this.base}: no answer within ${settings.connectTimeout} s`));
      }
      return;
    }
    if (this.state !== READY) return;
    const heard = this.hearing.at(now);
    if (this.declared !== null && this.hearing.frames !== this.declaredFrames) this.declared = null; // it spoke: alive
    if (this.declared !== null && this.suspected) {
      this.fail(this.declared);
      return;
    }
    // this process's own lag is no excuse for a host said to be down: its silence keeps counting
    if (late && this.declared === null) {
      this.hearing.heard(now);
    } else if (now - heard > settings.heartbeatTimeout * 1000) {
      this.fail(new HostDownError(`host ${this.base} is unreachable: nothing heard from it for ${settings.heartbeatTimeout} s`));
      return;
    }
    if (this.outbox.quiet()) this.outbox.ping();
  }

  /**
   * The connection is lost: pending asks reject, queued tells are dead letters, the next
   * send reconnects after a backoff. Tells written and not acknowledged are settled by a
   * reconnection (see ledger.ts); when that fails too, they are dead letters.
   */
  private fail(error: Error): void {
    if (this.state === CLOSED || this.state === DOWN || this.state === IDLE) return;
    const wasReady = this.state === READY;
    if (wasReady) recordPeer(this.base, false, 'grpc');
    this.welcomed = false;
    void this.teardown(false);
    this.state = DOWN;
    this.wakeWaiters();
    this.downError = error;
    this.failures = wasReady ? 0 : this.failures + 1;
    const delay = this.failures === 0 ? 0 : Math.min(100 * 2 ** (this.failures - 1), settings.maxBackoff * 1000);
    this.retryAt = performance.now() + delay * (0.5 + Math.random() * 0.5);
    this.rejectAll(error);
    router.peerDown(this.base);
    if (this.ledger.unconfirmed > 0) {
      // a few attempts to learn what arrived; then they are reported as unconfirmed
      if (this.failures < RESOLVE_ATTEMPTS) this.scheduleResolve();
      else this.giveUpUnconfirmed(error, 'unconfirmed');
    }
  }

  /** Reconnects (after the backoff) to learn which of the tells written before the loss arrived. */
  private scheduleResolve(): void {
    if (this.resolveTimer !== null) return;
    this.resolveTimer = setTimeout(
      () => {
        this.resolveTimer = null;
        if (this.state !== DOWN || this.ledger.unconfirmed === 0) return;
        try {
          this.open();
        } catch (e) {
          this.state = DOWN;
          this.giveUpUnconfirmed(toError(e), 'unconfirmed');
        }
      },
      Math.max(0, this.retryAt - performance.now()),
    );
  }

  /** The tells written and never confirmed are dead letters (they may or may not have arrived); a new session starts. */
  private giveUpUnconfirmed(error: Error, reason: string): void {
    const lost = this.ledger.reset();
    this.session = newSession();
    if (lost > 0) {
      reportDeadLetter({
        target: this.base,
        method: '',
        kind: 'tell',
        reason,
        count: lost,
        error: new HostDownError(`${lost} tell(s) written to host ${this.base} were not confirmed by it: ${error.message}`, {
          cause: error,
        }),
      });
    }
  }

  private rejectAll(error: Error): void {
    const dropped = this.outbox.clear();
    const pending = this.pending.drain();
    for (const reply of pending) {
      const e =
        error instanceof HostDownError
          ? new HostDownError(`${methodOf(reply)}() to host ${this.base} got no answer: ${error.message}`, { cause: error })
          : error;
      reply.reject(e);
    }
    if (dropped > 0) {
      reportDeadLetter({
        target: this.base,
        method: '',
        kind: 'tell',
        reason: 'connection-lost',
        count: dropped,
        error: new HostDownError(`${dropped} tell(s) to host ${this.base} were not sent: ${error.message}`, { cause: error }),
      });
    }
  }

  private wakeWaiters(): void {
    const w = this.settledWaiters;
    this.settledWaiters = [];
    for (const f of w) f();
  }

  /** Ends the stream; resolves true when the peer confirmed the end (so it received everything written). */
  private teardown(graceful: boolean): Promise<boolean> {
    heartbeat.delete(this);
    this.outbox.attach(null);
    const call = this.call;
    const client = this.client;
    this.call = null;
    this.client = null;
    if (call === null) {
      client?.close();
      return Promise.resolve(false);
    }
    if (!graceful) {
      call.cancel();
      client?.close();
      return Promise.resolve(false);
    }
    // let what was written reach the peer: end our half and wait for the call to finish,
    // reading the peer's last acknowledgement meanwhile
    call.on('data', (buf: Buffer) => {
      const n = buf[0] === 0x30 ? readAck(buf) : -1;
      if (n >= 0) this.ledger.ack(n);
    });
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        client?.close();
        resolve(ok);
      };
      const timer = setTimeout(() => {
        call.cancel();
        done(false);
      }, 1000);
      call.once('status', (st: grpc.StatusObject) => done(st.code === grpc.status.OK));
      call.once('error', () => undefined);
      call.end();
    });
  }

  /**
   * Closes the channel for good (closeAll, or the sending host shut down). Messages already
   * sent are delivered first (waiting for a connection under way, at most the connect timeout).
   */
  async close(): Promise<void> {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING && this.outbox.queued > 0) {
      await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
      // closed meanwhile by another close() (read through `alive`: the check above narrowed `state`)
      if (!this.alive) return;
    }
    const wasOpen = this.state === READY;
    if (wasOpen) this.outbox.flushNow();
    this.state = CLOSED;
    channels.delete(this);
    if (this.resolveTimer !== null) clearTimeout(this.resolveTimer);
    this.resolveTimer = null;
    const closing = this.teardown(wasOpen);
    const error = new HostDownError(`the connection to host ${this.base} was closed by shutdown()`);
    this.rejectAll(error);
    // the peer ended the stream after reading all of it: everything written arrived
    if (await closing) this.ledger.reset();
    else this.giveUpUnconfirmed(error, 'shutdown');
  }
}

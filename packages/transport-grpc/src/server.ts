/**
 * The inbound side: a grpc.Server per grpc:// host. Each connecting host opens one
 * bidirectional stream; its envelopes are checked and delivered to the target actors in the
 * order they arrive, and answers go back as RESULT/ERROR envelopes on the same stream.
 *
 * The Hello is checked here (wire version, shared token compared in constant time by
 * core's tokenMatches); every envelope after it goes through core's deliverInbound, which
 * does every check on the call (target, method, arguments, the spawn class before the
 * constructor arguments) the same for every transport. Every refusal is an ERROR envelope
 * (or, for a tell, a report on this side); the connection and the host carry on.
 */
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import {
  ActorError,
  EnvelopeKind,
  HostError,
  WIRE_VERSION,
  decodeFrame,
  encodeFrame,
  deliverInbound,
  measureEnvelope,
  packError,
  reportDeadLetter,
  reportError,
  reportRefused,
  toError,
  tokenMatches,
  checkProtectedMode,
  isLoopback,
  type AnswerKind,
  type Envelope,
  type Frame,
  type InboundPort,
  type OutgoingEnvelope,
  type PackedValue,
  type HostBinding,
  type TransportServer,
} from '@tsactor/core/internal';
import { transportService } from './service';
import { settings, grpcServerOptions, queueBound } from './config';
import { Hearing } from './hearing';
import { Outbox, heartbeat, type Beating } from './outbox';
import { parseBase, channels, SESSION_KEY } from './client';
import { encodeAck } from './ledger';

/** an inbound stream silent for this many heartbeat timeouts is closed */
const INBOUND_IDLE_FACTOR = 3;

/** sessions a server remembers the received counts of (the oldest is forgotten first) */
const MAX_SESSIONS = 4096;

/** What a server knows of one sender's session: envelopes received, and the stream carrying it now. */
interface Session {
  received: number;
  conn: InboundConnection | null;
}

/**
 * Asks delivered from one frame before the rest of it waits for the next event-loop turn.
 * Answers leave only when the event loop gets round to writing (HTTP/2 writes go out in the
 * check phase): delivering a large batch of asks at once would hold every answer back until
 * the last one is computed, and the peer would sit idle meanwhile. Delivered in slices, the
 * first answers travel (and the peer works on them) while the next slice is handled. With
 * 128 asks in flight, slices of 32 keep both sides busier than slices of 64 (15-20% more
 * asks per second) or 16 (more turns than the overlap gains).
 */
const ASKS_PER_TURN = 32;

/** waiting for the peer's Hello */
const OPENING = 0;
/** welcomed: messages flow */
const OPEN = 1;
/** closed for good */
const CLOSED = 2;
/** The state of an inbound connection. */
type ConnectionState = typeof OPENING | typeof OPEN | typeof CLOSED;

/**
 * One peer's stream. As the {@link InboundPort} of core's delivery it answers asks on the
 * stream (the context is unused: null).
 */
class InboundConnection implements Beating, InboundPort<null> {
  private state: ConnectionState = OPENING;
  /** made once the Hello is accepted: a stream costs a small fixed amount until then */
  private outbox: Outbox | null = null;
  private readonly openedAt = performance.now();
  /** when the peer was last heard from */
  private readonly hearing = new Hearing(this.openedAt);
  /** the sender's session (after the Hello), and the count last acknowledged */
  private session: Session | null = null;
  private ackedCount = 0;
  /** reading is paused while answers are backed up */
  private paused = false;
  /** envelopes received and not yet delivered (a frame's remainder after ASKS_PER_TURN asks) */
  private inbox: Envelope[] = [];
  private inboxHead = 0;
  /** the peer's base URL (from its Hello) */
  peer = '';
  /** the peer proved the token or a client certificate, or connects from this machine (see InboundPort.trusted) */
  private trustedPeer: boolean;

  constructor(
    private readonly host: HostBinding,
    private readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
    private readonly server: GrpcServer,
  ) {
    this.trustedPeer = (host.options.tls?.ca !== undefined && host.options.tls.ca !== '') || isLoopback(peerHost(call.getPeer()));
    call.on('data', (buf: Buffer) => this.receive(buf));
    call.on('end', () => this.close(null));
    call.on('error', () => this.close(null));
    call.on('close', () => this.close(null));
    call.on('drain', () => this.drained());
    heartbeat.add(this);
  }

  /** true until the Hello is accepted (or the stream closes) */
  get unauthenticated(): boolean {
    return this.state === OPENING;
  }

  /** The stream took what was written: write more, and read again once the answers are no longer backed up. */
  private drained(): void {
    const outbox = this.outbox;
    if (outbox === null) return;
    outbox.drained();
    if (this.paused && !outbox.backedUp && this.state === OPEN) {
      this.paused = false;
      this.call.resume();
    }
  }

  /** The state read afresh (after a call that may change it, where `state` is narrowed). */
  private isOpen(): boolean {
    return this.state === OPEN;
  }

  get maxMessageSize(): number {
    return settings.maxMessageSize;
  }

  canAnswer(): boolean {
    return true;
  }

  trusted(): boolean {
    return this.trustedPeer;
  }

  answer(_context: null, id: number, kind: AnswerKind, value: PackedValue): void {
    this.send(kind, id, value);
  }

  refused(_context: null, env: Envelope, error: Error): void {
    if (env.kind === EnvelopeKind.TELL || env.kind === EnvelopeKind.ASK) reportRefused(this.host, env, error);
    else this.notice(error);
  }

  /**
   * Writes a RESULT or ERROR envelope (an ERROR of TOO_LARGE instead when the value is over
   * the limit). Answers backed up beyond `answerBacklog` stop the reading of the stream
   * (HTTP/2 flow control then holds the peer back); a peer that lets them grow beyond
   * `maxQueuedBytes` all the same is disconnected.
   */
  private send(kind: number, id: number, value: PackedValue): void {
    const outbox = this.outbox;
    if (this.state !== OPEN || outbox === null) return;
    let env: OutgoingEnvelope = { kind, id, target: '', method: '', args: null, ctorArgs: null, value, sender: '' };
    let size = measureEnvelope(env, outbox.sizes);
    if (size > settings.maxMessageSize) {
      const e = new ActorError(
        `the answer is ${size} bytes, over the ${settings.maxMessageSize}-byte limit of the connection; return less data per message`,
        { code: 'TOO_LARGE' },
      );
      env = { kind: EnvelopeKind.ERROR, id, target: '', method: '', args: null, ctorArgs: null, value: packError(e), sender: '' };
      size = measureEnvelope(env, outbox.sizes);
    }
    if (outbox.queuedBytes + size > queueBound()) {
      this.overloaded();
      return;
    }
    outbox.add(env, size, false);
    if (!this.paused && outbox.backedUp && outbox.queuedBytes > settings.answerBacklog) {
      this.paused = true;
      this.call.pause();
    }
  }

  /** The peer does not read its answers: they are dropped (dead letters) and the peer is disconnected. */
  private overloaded(): void {
    const outbox = this.outbox!;
    const dropped = outbox.queued;
    outbox.clear();
    const message = `${this.peer || 'a peer'} does not read its answers: more than ${queueBound()} bytes are queued for it (maxQueuedBytes); disconnected`;
    reportDeadLetter({
      target: this.peer || this.host.base,
      method: '',
      kind: 'answer',
      reason: 'overflow',
      count: dropped + 1,
      error: new ActorError(message, { code: 'OVERLOADED' }),
    });
    this.close({ code: 'OVERLOADED', message });
  }

  private receive(buf: Buffer): void {
    if (this.state === CLOSED) return;
    this.hearing.frames++;
    if (this.state === OPENING && buf.length > HELLO_MAX) {
      this.refuseConnection('PROTOCOL', `the first frame must be a Hello of at most ${HELLO_MAX} bytes (protos/tsactor.proto)`);
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(buf);
    } catch (e) {
      this.notice(
        new ActorError(`host ${this.host.base} could not read a frame from ${this.peer || 'a peer'}: ${toError(e).message}`, {
          code: 'MALFORMED',
        }),
      );
      return;
    }
    if (this.state === OPENING) {
      if (frame.hello === null) {
        this.refuseConnection('PROTOCOL', `the first frame must be a Hello (protos/tsactor.proto)`);
        return;
      }
      this.accept(frame);
      if (!this.isOpen()) return;
    }
    const batch = frame.batch;
    if (this.session !== null) this.session.received += batch.length;
    if (this.inboxHead < this.inbox.length) {
      // earlier envelopes wait for their turn: these go after them
      for (const env of batch) this.inbox.push(env);
      return;
    }
    let asks = 0;
    for (let i = 0; i < batch.length; i++) {
      const env = batch[i]!;
      this.deliver(env);
      if (env.kind === EnvelopeKind.ASK && ++asks === ASKS_PER_TURN && i + 1 < batch.length) {
        this.inbox = batch;
        this.inboxHead = i + 1;
        setImmediate(this.nextSlice);
        return;
      }
    }
  }

  /** Delivers the next slice of the inbox (see ASKS_PER_TURN). */
  private readonly nextSlice = (): void => {
    if (this.state !== OPEN) return;
    const inbox = this.inbox;
    let asks = 0;
    while (this.inboxHead < inbox.length) {
      const env = inbox[this.inboxHead++]!;
      this.deliver(env);
      if (env.kind === EnvelopeKind.ASK && ++asks === ASKS_PER_TURN && this.inboxHead < inbox.length) {
        // under a steady inflow the inbox may never empty: drop the delivered part now and then
        if (this.inboxHead >= 4096 && this.inboxHead * 2 >= inbox.length) {
          this.inbox = inbox.slice(this.inboxHead);
          this.inboxHead = 0;
        }
        setImmediate(this.nextSlice);
        return;
      }
    }
    this.inbox = [];
    this.inboxHead = 0;
  };

  /** Delivers every envelope still waiting in the inbox now (before the stream closes). */
  private deliverRest(): void {
    const inbox = this.inbox;
    while (this.inboxHead < inbox.length) this.deliver(inbox[this.inboxHead++]!);
    this.inbox = [];
    this.inboxHead = 0;
  }

  /** Writes a frame outside the outbox (before the Hello is accepted there is none). */
  private writeDirect(parts: Parameters<typeof encodeFrame>[0]): void {
    if (this.outbox !== null) this.outbox.control(parts);
    else this.call.write(encodeFrame(parts));
  }

  /** Tells the peer about a problem that no ask is waiting for (e.g. a malformed frame). */
  private notice(error: Error): void {
    reportError(error, { actor: this.host.base, method: 'receive', kind: 'internal' });
    if (this.state === OPEN)
      this.send(EnvelopeKind.ERROR, 0, packError(error, 'receive', this.trustedPeer || this.host.options.exposeStacks === true));
  }

  private accept(frame: Frame): void {
    const hello = frame.hello!;
    this.peer = hello.from;
    if (hello.version !== WIRE_VERSION) {
      this.refuseConnection(
        'VERSION',
        `wire version ${hello.version} is not supported by ${this.host.base} (version ${WIRE_VERSION}); run the same tsactor version on every host`,
      );
      return;
    }
    const expected = this.host.options.token;
    if (expected !== undefined && expected !== '' && !tokenMatches(hello.token, expected)) {
      const what = hello.token === '' ? 'no token was given' : 'the token is wrong';
      this.refuseConnection(
        'UNAUTHENTICATED',
        `${what}; host ${this.host.base} requires a shared token: pass the same { token } in createHost options on both sides`,
      );
      return;
    }
    if (expected !== undefined && expected !== '') this.trustedPeer = true;
    this.state = OPEN;
    this.server.authenticated(this);
    const call = this.call;
    this.outbox = new Outbox({ write: (f) => call.write(f) });
    this.session = this.server.session(this, call.metadata.get(SESSION_KEY)[0]);
    this.outbox.control({ welcome: { version: WIRE_VERSION, host: this.host.base, maxMessageSize: settings.maxMessageSize } });
    // the resume count: how many envelopes of this session arrived before (0 for a new one)
    this.ackedCount = this.session.received;
    this.outbox.direct(encodeAck(this.ackedCount));
  }

  private refuseConnection(code: string, message: string): void {
    reportError(new ActorError(`refused a connection from ${this.peer || 'a peer'}: ${message}`, { code }), {
      actor: this.host.base,
      method: 'connect',
      kind: 'internal',
    });
    this.writeDirect({ close: { code, message } });
    this.close(null);
  }

  private deliver(env: Envelope): void {
    deliverInbound(this.host, env, this, null);
  }

  beat(now: number, late: boolean): void {
    if (this.state === CLOSED) return;
    // a peer busy sending a long burst may be silent for a while; the peer itself detects a
    // lost connection within the heartbeat timeout, this side only frees the stream, later
    if (this.state === OPENING) {
      if (now - this.openedAt > settings.helloTimeout * 1000) {
        this.refuseConnection('PROTOCOL', `no Hello within ${settings.helloTimeout} s; a peer must send its Hello (and token) first`);
      }
      return;
    }
    // this process's own lag excuses the peer's silence
    if (late) this.hearing.heard(now);
    else if (now - this.hearing.at(now) > INBOUND_IDLE_FACTOR * settings.heartbeatTimeout * 1000) {
      this.close(null);
      return;
    }
    const outbox = this.outbox!;
    // asked every beat, so that it tells whether anything went out during the last interval
    const quiet = outbox.quiet();
    const s = this.session;
    if (s !== null && s.received !== this.ackedCount) {
      this.ackedCount = s.received;
      outbox.direct(encodeAck(s.received));
    } else if (quiet) {
      outbox.ping();
    }
  }

  /** Ends the stream, after a Close frame when `close` is given. */
  close(close: { code: string; message: string } | null): void {
    if (this.state === CLOSED) return;
    const wasOpen = this.state === OPEN;
    // what was received is still delivered (e.g. the peer sent its last frames and ended the stream)
    if (wasOpen) this.deliverRest();
    heartbeat.delete(this);
    this.server.closed(this);
    if (this.session !== null && this.session.conn === this) this.session.conn = null;
    try {
      const outbox = this.outbox;
      if (outbox !== null) {
        // a last count, so that the sender knows everything it wrote arrived
        if (this.session !== null) {
          outbox.flushNow();
          outbox.direct(encodeAck(this.session.received));
        }
        if (wasOpen && close !== null) outbox.control({ close });
        else outbox.flushNow();
        outbox.attach(null);
      }
      this.state = CLOSED;
      this.call.end();
    } catch {
      // the stream is already gone
    }
    this.state = CLOSED;
  }
}

/** The largest first frame (a Hello) read from a stream that has not authenticated. */
const HELLO_MAX = 64 * 1024;

/** Every server of this process that is not closed. */
export const servers = new Set<GrpcServer>();

/** The server of one grpc:// or grpcs:// host. */
export class GrpcServer implements TransportServer {
  readonly connections = new Set<InboundConnection>();
  private closing: Promise<void> | null = null;
  /** streams that have not sent an accepted Hello yet */
  private opening = 0;
  /** the senders' sessions: envelopes received from each (the oldest forgotten beyond MAX_SESSIONS) */
  private readonly sessions = new Map<string, Session>();

  /** streams waiting for their Hello */
  get unauthenticatedCount(): number {
    return this.opening;
  }

  constructor(
    private readonly host: HostBinding,
    private readonly server: grpc.Server,
  ) {}

  add(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    if (this.closing !== null) {
      call.end();
      return;
    }
    if (this.opening >= settings.maxUnauthenticated) {
      // refused before anything is allocated for it
      call.emit('error', {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `host ${this.host.base} has ${this.opening} connections waiting for their Hello (maxUnauthenticated); try again later`,
      });
      return;
    }
    this.opening++;
    this.connections.add(new InboundConnection(this.host, call, this));
  }

  /** A connection's Hello was accepted. */
  authenticated(_c: InboundConnection): void {
    this.opening--;
  }

  /** A connection closed. */
  closed(c: InboundConnection): void {
    if (this.connections.delete(c) && c.unauthenticated) this.opening--;
  }

  /**
   * The session named by a sender (its `tsactor-session` metadata), made the current one of
   * `c`: a stream of the same session still open is closed first, so the count given to the
   * new one is final. A sender without a valid session name gets one of its own, not kept.
   */
  session(c: InboundConnection, id: unknown): Session {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return { received: 0, conn: c };
    let s = this.sessions.get(id);
    if (s === undefined) {
      s = { received: 0, conn: null };
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    } else {
      this.sessions.delete(id);
      const old = s.conn;
      if (old !== null && old !== c) old.close(null);
    }
    this.sessions.set(id, s);
    s.conn = c;
    return s;
  }

  unwrap(): unknown {
    return this.server;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  /** the base URL of the host it serves */
  get base(): string {
    return this.host.base;
  }

  private async doClose(): Promise<void> {
    servers.delete(this);
    for (const c of [...this.connections]) c.close({ code: 'SHUTDOWN', message: `host ${this.host.base} was shut down` });
    // channels from this host, and channels of this process to it (their proxies then see the host as shut down)
    const outbound = [...channels].filter((ch) => ch.from?.base === this.host.base || ch.base === this.host.base).map((ch) => ch.close());
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await Promise.all(outbound);
  }
}

/** The host part of grpc-js's peer string ('ipv4:127.0.0.1:5000', 'ipv6:[::1]:5000', 'unix:…'). */
function peerHost(peer: string): string {
  const m = /^(?:ipv[46]:)?(\[[^\]]+\]|[^:]+(?:\.[^:]+)*|[0-9a-f:]+?)(?::\d+)?$/i.exec(peer);
  if (peer.startsWith('unix:')) return 'localhost';
  return m === null ? peer : m[1]!;
}

function serverCredentials(host: HostBinding, scheme: 'grpc' | 'grpcs'): grpc.ServerCredentials {
  if (scheme === 'grpc') return grpc.ServerCredentials.createInsecure();
  const tls = host.options.tls;
  if (tls === undefined || !tls.cert || !tls.key) {
    throw new HostError(
      `cannot serve ${host.base}: a grpcs:// host needs TLS certificates; pass { tls: { cert, key } } (PEM text) to createHost`,
      {
        code: 'TLS_REQUIRED',
      },
    );
  }
  // with a CA, peers must present a client certificate it signed (mutual TLS)
  const ca = tls.ca !== undefined && tls.ca !== '' ? Buffer.from(tls.ca) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
}

function inUse(port: number, err: unknown): HostError {
  return new HostError(`port ${port} is already in use (${toError(err).message}); stop whatever listens there or choose another port`, {
    code: 'ADDRESS_IN_USE',
    cause: err,
  });
}

/** Fails with ADDRESS_IN_USE when the port is taken (before grpc-js, which would log the failure itself). */
function checkPortFree(hostname: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? reject(inUse(port, err)) : resolve()));
    probe.listen({ port, host: hostname.replace(/^\[|\]$/g, ''), exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Starts serving a host at its grpc:// or grpcs:// URL. */
export async function listen(host: HostBinding): Promise<GrpcServer> {
  const { scheme, authority, port, hostname } = parseBase(host.base);
  // protected mode: no unauthenticated host on an address other machines can reach
  checkProtectedMode(host.base, hostname, host.options);
  const creds = serverCredentials(host, scheme);
  await checkPortFree(hostname, port);
  const server = new grpc.Server(grpcServerOptions());
  const s = new GrpcServer(host, server);
  servers.add(s);
  server.addService(transportService, {
    Connect: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => s.add(call),
  });
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(authority, creds, (err) => {
      if (err) {
        servers.delete(s);
        server.forceShutdown();
        reject(
          /EADDRINUSE|address already in use|No address added/i.test(err.message)
            ? inUse(port, err)
            : new HostError(`cannot listen at ${authority}: ${err.message}`, { code: 'LISTEN_FAILED', cause: err }),
        );
      } else {
        resolve();
      }
    });
  });
  return s;
}

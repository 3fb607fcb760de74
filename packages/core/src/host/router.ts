/**
 * The router of this thread: turns an actor address into the channel that delivers to it.
 * Hosts of this process are reached directly; other hosts through the transport of their
 * URL scheme. Two different network hosts of one process talk through their transport, as
 * two processes would.
 */
import { HostDownError, HostError, NotFoundError } from '../errors';
import type { ActorAddress, ActorChannel, Reply } from '../channel';
import { failCall } from './outbound';
import { isHostAddress } from './host-address';
import { getTransport, allTransports, transportSchemes } from './registry';
import type { LocalHost } from './host';

/** A channel that can deliver nothing: asks reject with the error, tells are reported. */
export class FailingChannel implements ActorChannel {
  readonly alive = false;
  constructor(private readonly error: (target: ActorAddress, method: string) => Error) {}
  send(target: ActorAddress, method: string, _args: unknown[], reply: Reply | null): void {
    failCall(reply, target, method, this.error(target, method));
  }
}

function schemeOf(base: string): string {
  return base.slice(0, base.indexOf(':'));
}

export class Router {
  /** hosts of this process, by base URL */
  readonly hosts = new Map<string, LocalHost>();
  private readonly outbound = new Map<string, ActorChannel>();
  /** bases of hosts of this process that were shut down (their calls fail at once) */
  readonly closed = new Set<string>();
  /** consulted first (a worker thread routes through its parent) */
  fallback: ((addr: ActorAddress, from: string | null) => ActorChannel | null) | null = null;

  /** @internal told when a transport declares a peer host down (death watch listens) */
  onPeerDown: ((base: string) => void) | null = null;

  /**
   * A transport declares the host at `base` (e.g. 'grpc://10.0.0.7:1277/') down: it is
   * unreachable, or it said it shut down. Every watch of an actor there ends with
   * 'host-down'. Transports call this where they reject the asks pending on that peer.
   */
  peerDown(base: string): void {
    this.onPeerDown?.(base);
  }

  /**
   * An authority outside the transport (a cluster's membership) says the host at `base` is
   * gone: the outbound channel to it, if it has one and has not heard from that host lately,
   * fails its pending calls now (HostDownError) rather than at its own heartbeat timeout.
   */
  declareDown(base: string, error: Error): void {
    // one channel per local host that sends to `base` (keyed 'from>base')
    for (const [key, ch] of this.outbound) if (key.endsWith(`>${base}`)) ch.declareDown?.(error);
  }

  /** the main host: the oldest one still running */
  mainHost(): LocalHost | undefined {
    return this.hosts.values().next().value;
  }

  readonly resolve = (addr: ActorAddress, from: string | null): ActorChannel => {
    if (this.fallback !== null) {
      const ch = this.fallback(addr, from);
      if (ch !== null) return ch;
    }
    const fromBase = from ?? this.mainHost()?.base ?? null;
    const host = this.hosts.get(addr.base);
    const scheme = schemeOf(addr.base);
    if (host !== undefined && (scheme === 'local' || fromBase === null || fromBase === addr.base || schemeOf(fromBase) === 'local')) {
      const t = host.target(addr.id);
      if (t !== null) return t.channel;
      return notFound;
    }
    if (host === undefined && (scheme === 'local' || this.closed.has(addr.base))) {
      return isHostAddress(addr) && this.closed.has(addr.base) ? hostClosed : hostDown;
    }
    const transport = getTransport(scheme);
    if (transport === undefined) {
      return new FailingChannel(
        (t) =>
          new HostError(
            `no transport for ${scheme}:// (to reach ${t.url}); known schemes: ${transportSchemes().join(', ')}. Import 'tsactor', which registers grpc:// and amqp://`,
            { code: 'UNKNOWN_SCHEME' },
          ),
      );
    }
    const key = `${fromBase ?? ''}>${addr.base}`;
    let ch = this.outbound.get(key);
    if (ch === undefined || !ch.alive) {
      const fromHost = fromBase === null ? null : (this.hosts.get(fromBase) ?? null);
      ch = transport.connect(addr.base, fromHost);
      this.outbound.set(key, ch);
    }
    return ch;
  };

  /** @internal the peers this process's hosts opened channels to: [from base ('' outside hosts), peer base] */
  *outboundPeers(): Iterable<[string, string]> {
    for (const [key, ch] of this.outbound) {
      if (!ch.alive) continue;
      const i = key.indexOf('>');
      yield [key.slice(0, i), key.slice(i + 1)];
    }
  }

  /** Closes every outbound connection of every transport. */
  async closeOutbound(): Promise<void> {
    this.outbound.clear();
    await Promise.all(allTransports().map((t) => t.closeAll()));
  }
}

/** The channel of an id that no actor of its host has. */
export const notFound = new FailingChannel(
  (t, m) => new NotFoundError(`no actor '${t.id}' on host ${t.base} (${m}() not delivered); spawn it first or check the id`),
);
const hostDown = new FailingChannel((t, m) => new HostDownError(`the host ${t.base} of ${t.url} is down (${m}() not delivered)`));
const hostClosed = new FailingChannel(
  (t, m) => new HostError(`the host ${t.url} is shut down; ${m}() refused. Create a new host with createHost()`, { code: 'HOST_CLOSED' }),
);

/** The router of this thread. */
export const router = new Router();

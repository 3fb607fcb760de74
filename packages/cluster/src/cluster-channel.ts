/**
 * The calling side of virtual actors. A virtual actor's proxy has the URL
 * `cluster://<cluster>/<Kind>/<key>`; the router hands calls to such URLs to the `cluster`
 * transport registered here, whose channel picks the owner by rendezvous placement and sends
 * the call to that member's gateway over the member's own transport (gRPC), keeping the ask's
 * answer slot: the answer comes back with no extra hop on this side.
 *
 * When a member cannot be reached (HostDownError: killed, cut off), the call rejects with
 * that error at once and the member is avoided by the next calls, which activate the identity
 * elsewhere. When the gateway is gone (the member left), the call was not delivered and is
 * sent again to the new owner.
 */
import {
  FailingChannel,
  Future,
  HostDownError,
  HostError,
  NotFoundError,
  failCall,
  getTransport,
  registerTransport,
  router,
  type ActorAddress,
  type ActorCell,
  type ActorChannel,
  type ActorDescription,
  type HostBinding,
  type Reply,
} from '@tsactor/core/internal';
import { ClusterUnavailableError } from './errors';
import { GATEWAY_DESCRIPTION, directId, gatewayId } from './gateway';
import type { Placement } from './placement';

/** The URL scheme of virtual actors. */
export const CLUSTER_SCHEME = 'cluster';

/** The most direct addresses a channel keeps (then it starts again). */
const MAX_DIRECT = 100_000;

/** How often a call is sent again when the gateway it reached was gone. */
const RESENDS = 3;

/** What a {@link ClusterChannel} needs of its member. */
export interface ChannelContext {
  readonly name: string;
  readonly self: string;
  readonly placement: Placement;
}

/** Where calls to one identity went last: its owner's channel and the identity's direct address there. */
interface DirectRoute {
  readonly cluster: ClusterChannel;
  readonly identity: string;
  readonly member: string;
  /** the identity's direct id on `member`, described as its kind */
  readonly address: ActorAddress;
  channel: ActorChannel;
  /** the placement version under which `member` was the owner */
  version: number;
}

/** The answer slot of a call sent to a gateway: notes unreachable members, resends undelivered calls. */
class GatewayReply implements Reply {
  constructor(
    private readonly channel: ClusterChannel,
    private readonly inner: Reply,
    private readonly member: string,
    private readonly identity: string,
    private readonly kind: string,
    private readonly method: string,
    private readonly args: unknown[],
    private readonly hop: number,
    private readonly attempt: number,
    private readonly desc: ActorDescription | undefined,
  ) {}

  resolve(value: unknown): void {
    this.inner.resolve(value);
  }

  reject(error: unknown): void {
    if (this.channel.failed(error, this.member, this.attempt)) {
      // the member left: nothing was delivered, the new owner gets it
      this.channel.route(this.identity, this.kind, this.method, this.args, this.inner, this.hop, this.attempt + 1, undefined, this.desc);
      return;
    }
    this.inner.reject(error);
  }
}

/**
 * The future of an ask to a virtual actor (made by its proxy through
 * {@link ClusterChannel.future}). Sent on a known direct route (the steady state), it is the
 * call's answer slot itself and keeps the route, so that a member the transport could not
 * reach is avoided by the next calls. It keeps no arguments: keeping them made V8 allocate
 * every argument list it otherwise elides, and with an answer slot per ask that cost the
 * caller 5 to 8% of its pipelined asks. So an ask on a direct route whose member had left
 * (its direct id gone, the caller's view not yet updated) fails with that NotFoundError
 * instead of going again to the new owner, as calls through a gateway do.
 */
class ClusterFuture<R = unknown> extends Future<R> {
  /** set while the ask is on a direct route */
  route: DirectRoute | null = null;

  /** @internal */
  override reject(error: unknown): void {
    const r = this.route;
    if (r !== null) {
      this.route = null;
      r.cluster.noteUnreachable(error, r.member);
    }
    super.reject(error);
  }
}

/** `instanceof` as the language does it (Future's own Symbol.hasInstance is a call more per check) */
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

function isClusterFuture(x: unknown): x is ClusterFuture {
  return ordinaryHasInstance.call(ClusterFuture, x);
}

/** See the file comment. One per joined cluster instance. */
export class ClusterChannel implements ActorChannel {
  private readonly gateways = new Map<string, { address: ActorAddress; channel: ActorChannel }>();
  /** the direct routes of the identities called lately, by identity (at most {@link MAX_DIRECT}) */
  private readonly direct = new Map<string, DirectRoute>();
  /** set when the member left or closed */
  private closed = false;
  /** the identity called last and its entry in {@link direct}: a run of calls to one identity looks it up once */
  private lastId = '';
  private lastRoute: DirectRoute | undefined = undefined;

  constructor(readonly ctx: ChannelContext) {}

  get alive(): boolean {
    return !this.closed;
  }

  /** The member left or closed: calls fail from now on. */
  close(): void {
    this.closed = true;
  }

  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    // the steady state: the owner found last is still the owner (one lookup per run of calls)
    const id = target.id;
    const d = id === this.lastId ? this.lastRoute : (this.lastRoute = this.direct.get((this.lastId = id)));
    if (d !== undefined && d.version === this.ctx.placement.version && this.ctx.placement.steady && d.channel.alive && !this.closed) {
      if (reply === null) d.channel.send(d.address, method, args, null);
      else if (isClusterFuture(reply)) {
        reply.route = d;
        d.channel.send(d.address, method, args, reply);
      } else
        d.channel.send(
          d.address,
          method,
          args,
          new GatewayReply(this, reply, d.member, target.id, target.desc.name, method, args, 0, 0, target.desc),
        );
      return;
    }
    this.route(target.id, target.desc.name, method, args, reply, 0, 0, undefined, target.desc);
  }

  /** The future of an ask through this channel (see {@link ClusterFuture}). */
  future(target: ActorAddress, method: string, timeout: number | null, owner: ActorCell | null): Future {
    return new ClusterFuture(target.url, method, timeout, owner);
  }

  /** A call to `member` failed with `error`: a member the transport says it could not reach is avoided by the next calls. */
  noteUnreachable(error: unknown, member: string): void {
    // the transport's errors name the host it failed to reach; a member that only relays the
    // HostDownError of the owner it forwarded to is not down itself
    if (error instanceof HostDownError && error.message.includes(member)) this.ctx.placement.markUnreachable(member);
  }

  /**
   * A call to `member` failed with `error` (attempt `attempt`; see {@link noteUnreachable}):
   * true when it certainly was not delivered because the member left (its gateway or direct
   * id is gone), so that it may go to the new owner.
   */
  failed(error: unknown, member: string, attempt: number): boolean {
    this.noteUnreachable(error, member);
    return (
      attempt < RESENDS &&
      error instanceof NotFoundError &&
      (error.message.includes(`'${gatewayId(this.ctx.name)}'`) || error.message.includes(`'${directId(this.ctx.name, '')}`))
    );
  }

  /** Sends a call for `identity` to its owner's gateway (or to `url`'s, when given). */
  route(
    identity: string,
    kind: string,
    method: string,
    args: unknown[],
    reply: Reply | null,
    hop: number,
    attempt: number,
    url?: string,
    desc?: ActorDescription,
  ): void {
    if (this.closed) {
      failCall(
        reply,
        this.addressOf(identity),
        method,
        new HostError(
          `this member left cluster '${this.ctx.name}'; ${method}() of ${identity} not sent. Join again to call virtual actors`,
          {
            code: 'CLUSTER_LEFT',
          },
        ),
      );
      return;
    }
    let member = url;
    if (member === undefined) {
      const owner = this.ctx.placement.ownerOf(identity, kind);
      if (owner === undefined) {
        failCall(
          reply,
          this.addressOf(identity),
          method,
          new ClusterUnavailableError(
            `no live member of cluster '${this.ctx.name}' declares kind '${kind}' (${method}() of ${identity} not sent); start a member with kinds: [${kind}]`,
          ),
        );
        return;
      }
      member = owner.url;
    }
    const gw = this.gateway(member);
    if (desc !== undefined && hop === 0 && member !== this.ctx.self) {
      // straight to the identity's id on its owner: the call as it is, no wrapping
      const address = this.directRoute(member, identity, desc, gw.channel).address;
      if (reply === null) gw.channel.send(address, method, args, null);
      else gw.channel.send(address, method, args, new GatewayReply(this, reply, member, identity, kind, method, args, hop, attempt, desc));
      return;
    }
    if (reply === null) {
      gw.channel.send(gw.address, 'tell', [identity, method, args, hop], null);
    } else {
      gw.channel.send(
        gw.address,
        'call',
        [identity, method, args, hop],
        new GatewayReply(this, reply, member, identity, kind, method, args, hop, attempt, desc),
      );
    }
  }

  /**
   * The address of `identity` on member `url` ({@link directId}), described as its kind (kept
   * per identity while the owner stays the same).
   */
  private directRoute(url: string, identity: string, desc: ActorDescription, channel: ActorChannel): DirectRoute {
    const version = this.ctx.placement.version;
    const known = this.direct.get(identity);
    if (known !== undefined && known.member === url) {
      known.channel = channel;
      known.version = version;
      return known;
    }
    const id = directId(this.ctx.name, identity);
    const route: DirectRoute = { cluster: this, identity, member: url, address: { url: url + id, base: url, id, desc }, channel, version };
    if (this.direct.size >= MAX_DIRECT) this.direct.clear();
    this.direct.set(identity, route);
    this.lastId = '';
    return route;
  }

  private gateway(url: string): { address: ActorAddress; channel: ActorChannel } {
    let gw = this.gateways.get(url);
    if (gw === undefined) {
      const id = gatewayId(this.ctx.name);
      const address: ActorAddress = { url: url + id, base: url, id, desc: GATEWAY_DESCRIPTION };
      gw = { address, channel: router.resolve(address, this.ctx.self) };
      this.gateways.set(url, gw);
    } else if (!gw.channel.alive) {
      gw.channel = router.resolve(gw.address, this.ctx.self);
    }
    return gw;
  }

  private addressOf(identity: string): ActorAddress {
    return {
      url: `${CLUSTER_SCHEME}://${this.ctx.name}/${identity}`,
      base: `${CLUSTER_SCHEME}://${this.ctx.name}/`,
      id: identity,
      desc: GATEWAY_DESCRIPTION,
    };
  }
}

/** The channels of the clusters this process has joined, by cluster name. */
const joined = new Map<string, ClusterChannel[]>();

/** Makes `channel` the way to the virtual actors of its cluster from this process. */
export function addClusterChannel(channel: ClusterChannel): void {
  registerClusterTransport();
  const list = joined.get(channel.ctx.name) ?? [];
  list.push(channel);
  joined.set(channel.ctx.name, list);
}

/** Removes `channel` (its member left). */
export function removeClusterChannel(channel: ClusterChannel): void {
  const list = (joined.get(channel.ctx.name) ?? []).filter((c) => c !== channel);
  if (list.length === 0) joined.delete(channel.ctx.name);
  else joined.set(channel.ctx.name, list);
}

/** The base URL of the virtual actors of cluster `name`. */
export function clusterBase(name: string): string {
  return `${CLUSTER_SCHEME}://${name}/`;
}

/**
 * Registers the `cluster` transport once: it only connects (to a joined cluster of this
 * process, preferring the member whose host sends), never listens.
 */
function registerClusterTransport(): void {
  if (getTransport(CLUSTER_SCHEME) !== undefined) return;
  registerTransport({
    schemes: [CLUSTER_SCHEME],
    listen: (host: HostBinding) =>
      Promise.reject(
        new HostError(`${host.url}: cluster:// names virtual actors, not a host; create a grpc:// host and joinCluster with it`, {
          code: 'BAD_URL',
        }),
      ),
    connect(base: string, from: HostBinding | null): ActorChannel {
      const name = base.slice(CLUSTER_SCHEME.length + 3, -1);
      const list = joined.get(name);
      if (list === undefined || list.length === 0) {
        return new FailingChannel(
          (t, m) =>
            new ClusterUnavailableError(
              `this process is not a member of cluster '${name}' (${m}() of ${t.url} not sent); call joinCluster first`,
            ),
        );
      }
      return list.find((c) => c.ctx.self === from?.base) ?? list[0]!;
    },
    closeAll: () => Promise.resolve(),
  });
}

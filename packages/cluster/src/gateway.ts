/**
 * The actors a cluster member runs on its host: the gateway, through which every call to a
 * virtual actor reaches the member that serves it, and (on the seed) the seed table.
 */
import {
  Actor,
  Ask,
  Parallel,
  Ref,
  Tell,
  describe,
  getActorDefinition,
  internDescription,
  type ActorAddress,
  type ActorChannel,
  type ActorDescription,
  type Reply,
} from '@tsactor/core/internal';
import type { Activations } from './activations';
import { hashString } from './rendezvous';
import type { SeedTable } from './seed-table';

/** The id of a cluster's gateway on each member's host. */
export function gatewayId(cluster: string): string {
  return `$cluster/${cluster}`;
}

/**
 * The id of virtual actor `identity` (`<Kind>/<key>`) on the member that serves it: calls
 * sent there reach its activation without the gateway's wrapping (see {@link
 * Activations.target}); `directId(cluster, '')` is the prefix of all of them. Every call to
 * a virtual actor carries it, so it names the cluster by a short tag of its name (clusters
 * joined on one host whose tags met would be refused at the join: their prefixes overlap).
 */
export function directId(cluster: string, identity: string): string {
  return flat(`$${nameTag(cluster)}/${identity}`);
}

/**
 * `s` as one sequential string: a string joined from parts is a tree of them, and every
 * character read through it costs more; a direct id is written out character by character
 * with every call sent to it.
 */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/**
 * A short tag of a cluster's name: the low 24 bits of its hash (placement's), as five base-36
 * characters (every call carries it: each byte of a direct id costs the caller and the member
 * a few nanoseconds).
 */
export function nameTag(cluster: string): string {
  return (hashString(cluster, 0x811c9dc5) & 0xffffff).toString(36).padStart(5, '0');
}

/** The id of a cluster's seed table actor on the seed member's host. */
export function seedId(cluster: string): string {
  return `$cluster-seed/${cluster}`;
}

/**
 * The description of the gateway: what callers may call on it (`call`, an ask; `tell`), each
 * with `identity` (`<Kind>/<key>`), the method, its arguments and `hop`, the members the call
 * went through. The class exists only to be described: the gateway itself is a
 * {@link GatewayChannel}, which the host hands every call at once.
 */
@Actor
class ClusterGateway {
  @Ask
  @Ref
  call(_identity: string, _method: string, _args: unknown[], _hop: number): unknown {
    return undefined;
  }

  @Tell
  @Ref
  tell(_identity: string, _method: string, _args: unknown[], _hop: number): void {
    // described only
  }
}

/**
 * The gateway of one member, registered on its host under {@link gatewayId} with
 * `attachChannel`: the host hands it each call as it arrives (no mailbox hop, no answer of
 * its own), and it hands the call to {@link Activations.deliver} with the call's answer slot,
 * in the order received. Every argument is checked there (it comes from the network).
 */
export class GatewayChannel implements ActorChannel {
  private open = true;

  constructor(private readonly activations: Activations) {}

  get alive(): boolean {
    return this.open;
  }

  /** Removed from its host. */
  close(): void {
    this.open = false;
  }

  send(_target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    if (method === 'tell') {
      this.activations.deliver(args[0], args[1], args[2], null, args[3]);
      // a transport that acknowledges tells gets the acknowledgement once the call is handed on
      reply?.resolve(undefined);
    } else {
      this.activations.deliver(args[0], args[1], args[2], reply, args[3]);
    }
  }
}

/** The seed table served to the other members (requests are checked by {@link SeedTable.handle}). */
@Actor
export class ClusterSeed {
  constructor(private readonly table: SeedTable) {}

  @Ask
  @Parallel
  request(request: unknown): Promise<unknown> {
    return this.table.handle(request);
  }
}

/** The descriptions of the two actors (what a proxy to them is made with). */
export const GATEWAY_DESCRIPTION: ActorDescription = internDescription(describe(getActorDefinition(ClusterGateway)));
export const SEED_DESCRIPTION: ActorDescription = internDescription(describe(getActorDefinition(ClusterSeed)));

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
  type ActorDescription,
} from '@tsactor/core/internal';
import type { Activations } from './activations';
import type { SeedTable } from './seed-table';

/** The id of a cluster's gateway on each member's host. */
export function gatewayId(cluster: string): string {
  return `$cluster/${cluster}`;
}

/** The id of a cluster's seed table actor on the seed member's host. */
export function seedId(cluster: string): string {
  return `$cluster-seed/${cluster}`;
}

/**
 * The gateway of one member: `call` (an ask) and `tell` carry a call to the virtual actor
 * `identity` (`<Kind>/<key>`); `hop` counts the members it went through. Every argument is
 * checked by {@link Activations.deliver} (it comes from the network).
 */
@Actor
export class ClusterGateway {
  constructor(private readonly activations: Activations) {}

  @Ask
  @Ref
  @Parallel
  call(identity: string, method: string, args: unknown[], hop: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.activations.deliver(identity, method, args, { resolve, reject }, hop));
  }

  @Tell
  @Ref
  tell(identity: string, method: string, args: unknown[], hop: number): void {
    this.activations.deliver(identity, method, args, null, hop);
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

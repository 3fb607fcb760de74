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
  type Reply,
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

const PENDING = 0;
const RESOLVED = 1;
const REJECTED = 2;

/**
 * The answer of one gateway call: the answer slot the activation settles and, at once, what
 * the gateway's ask method returns (the host waits on it through `then`). One object per
 * call instead of a promise, its executor and an answer slot around it.
 */
class GatewayAnswer implements Reply, PromiseLike<unknown> {
  private state = PENDING;
  private value: unknown = undefined;
  private onResolved: ((value: unknown) => unknown) | null | undefined = null;
  private onRejected: ((error: unknown) => unknown) | null | undefined = null;

  resolve(value: unknown): void {
    if (this.state !== PENDING) return;
    this.state = RESOLVED;
    this.value = value;
    this.onResolved?.(value);
  }

  reject(error: unknown): void {
    if (this.state !== PENDING) return;
    this.state = REJECTED;
    this.value = error;
    this.onRejected?.(error);
  }

  /**
   * Only what the host needs of a thenable: one `then(onResolved, onRejected)`, called once
   * (by the cell that runs the gateway); it returns nothing to chain on.
   */
  then<R1 = unknown, R2 = never>(
    onResolved?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((error: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    if (this.state === RESOLVED) onResolved?.(this.value);
    else if (this.state === REJECTED) onRejected?.(this.value);
    else {
      this.onResolved = onResolved;
      this.onRejected = onRejected;
    }
    return this as unknown as PromiseLike<R1 | R2>;
  }
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
  call(identity: string, method: string, args: unknown[], hop: number): PromiseLike<unknown> {
    const answer = new GatewayAnswer();
    this.activations.deliver(identity, method, args, answer, hop);
    return answer;
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

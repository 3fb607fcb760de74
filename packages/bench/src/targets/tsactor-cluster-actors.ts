/**
 * The virtual actors of the tsactor-cluster target: what its member processes activate and
 * what the driver calls through `cluster.get` (the classes are the same on both sides).
 */
import { Actor, ActorBase, Ask } from 'tsactor';

/** counting (tells, then an ask for the count), asks and activations: the bench's own actors. */
export { Counter as VCounter, Echo as VEcho } from './tsactor-actors';

/** The ids of the plain actors on every member's host (tsactor-cluster-plain). */
export const PLAIN_COUNTER = 'plain-counter';
export const PLAIN_ECHO = 'plain-echo';

/** failover: answers with the URL of the member that serves it. */
@Actor
export class VWhere extends ActorBase {
  @Ask at(): string {
    return this.host.getUrl();
  }
}

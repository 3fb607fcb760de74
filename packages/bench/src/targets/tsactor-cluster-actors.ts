/**
 * The virtual actors of the tsactor-cluster target: what its member processes activate and
 * what the driver calls through `cluster.get` (the classes are the same on both sides).
 */
import { Actor, ActorBase, Ask, Tell } from 'tsactor';

/** counting: tells, then an ask for the count. */
@Actor
export class VCounter {
  private n = 0;
  @Tell inc(): void {
    this.n++;
  }
  @Ask take(): number {
    const n = this.n;
    this.n = 0;
    return n;
  }
}

/** ask latency and throughput; activations (the first call of each key activates it). */
@Actor
export class VEcho {
  @Ask echo(x: number): number {
    return x;
  }
}

/** failover: answers with the URL of the member that serves it. */
@Actor
export class VWhere extends ActorBase {
  @Ask at(): string {
    return this.host.getUrl();
  }
}

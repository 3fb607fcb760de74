/**
 * Actor classes of the threads benchmarks (loaded by the workers by module and export name).
 */
import { Actor, Ask, Ref, Tell, type Proxy } from '@tsactor/core/internal';

/** Counts tells. */
@Actor
export class Sink {
  private n = 0;

  @Tell add(_v: number): void {
    this.n++;
  }

  @Ask count(): number {
    return this.n;
  }
}

/** Sends tells to a sink (from a worker, to another worker or its own). */
@Actor
export class Source {
  /** tells n numbers, then asks the count (after them: same sender, same order) */
  @Ask @Ref blast(sink: Proxy<Sink>, n: number): Promise<number> {
    for (let i = 0; i < n; i++) sink.add(i);
    return sink.count().result(null);
  }
}

/** CPU-bound work: a pure integer loop. */
@Actor
export class Cruncher {
  @Ask crunch(iterations: number): number {
    let x = 0;
    for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
    return x;
  }
}

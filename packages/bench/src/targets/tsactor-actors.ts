/**
 * The tsactor actors of the workloads. This module is also what remote hosts and worker
 * threads load (remote spawn names 'tsactor-actors/Counter' under the module root dist/targets).
 */
import { Actor, ActorBase, Ask, Parallel, Ref, Tell, type Proxy } from 'tsactor';

/** counting and fork-join: counts tells; take() answers the count and starts again from 0. */
@Actor
export class Counter {
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

/** ask latency and throughput. */
@Actor
export class Echo {
  @Ask echo(x: number): number {
    return x;
  }
}

/** pingpong: answers every ping with a pong to its peer. */
@Actor
export class Pong {
  private peer: Proxy<Ping> | null = null;
  private count = 0;
  @Tell @Ref setPeer(peer: Proxy<Ping>): void {
    this.peer = peer;
  }
  @Tell ping(left: number): void {
    this.count++;
    this.peer!.pong(left);
  }
  @Ask take(): number {
    const n = this.count;
    this.count = 0;
    return n;
  }
}

/** pingpong: run(n) sends the first ping and answers once n pongs came back. */
@Actor
export class Ping {
  private peer: Proxy<Pong> | null = null;
  private left = 0;
  private got = 0;
  private bad = 0;
  private done: ((got: number) => void) | null = null;
  @Tell @Ref setPeer(peer: Proxy<Pong>): void {
    this.peer = peer;
  }
  @Ask @Parallel run(n: number): Promise<number> {
    return new Promise<number>((resolve) => {
      this.left = n;
      this.got = 0;
      this.bad = 0;
      this.done = resolve;
      this.peer!.ping(n);
    });
  }
  @Tell pong(left: number): void {
    this.got++;
    if (left !== this.left) this.bad++;
    if (--this.left > 0) {
      this.peer!.ping(this.left);
    } else {
      const done = this.done!;
      this.done = null;
      done(this.bad === 0 ? this.got : -this.bad);
    }
  }
}

/** threadring: one actor of the ring. */
@Actor
export class RingNode {
  private next: Proxy<RingNode> | null = null;
  private sink: Proxy<Sink> | null = null;
  private seen = 0;
  @Tell @Ref link(next: Proxy<RingNode>, sink: Proxy<Sink>): void {
    this.next = next;
    this.sink = sink;
  }
  @Tell token(hops: number): void {
    this.seen++;
    if (hops === 0) this.sink!.done();
    else this.next!.token(hops - 1);
  }
  @Ask take(): number {
    const n = this.seen;
    this.seen = 0;
    return n;
  }
}

/** threadring: wait() answers when the token has made its last hop. */
@Actor
export class Sink {
  private finished = 0;
  private waiter: (() => void) | null = null;
  @Ask @Parallel wait(): Promise<void> {
    if (this.finished > 0) {
      this.finished--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }
  @Tell done(): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w();
    } else {
      this.finished++;
    }
  }
}

/** spawn and memory: an actor with no state. */
@Actor
export class Idle {
  @Ask ping(): number {
    return 1;
  }
}

/** Lives on a remote bench host: reports its heap and stops actors in bulk. */
@Actor
export class Control extends ActorBase {
  @Ask heap(): number {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) return -1;
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  }
  @Ask @Parallel async stopAll(prefix: string, count: number): Promise<number> {
    let stopped = 0;
    const batch: Array<PromiseLike<void>> = [];
    for (let i = 0; i < count; i++) {
      batch.push(this.host.stopActor(prefix + i));
      if (batch.length === 1000) {
        await Promise.all(batch);
        stopped += batch.length;
        batch.length = 0;
      }
    }
    await Promise.all(batch);
    return stopped + batch.length;
  }
}

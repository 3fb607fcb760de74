/**
 * The client side of the grpc-js and amqplib baselines: the workloads over a Batcher to the
 * server process and the messages coming back. Subclasses open and close the medium.
 */
import { Batcher, OP } from './baseline-stream';
import { expectEqual, now, pipelinedAsks, type TargetImpl, type Timed, sequentialAsks } from './types';

export abstract class StreamBaseline implements TargetImpl {
  protected out!: Batcher;
  private seq = 0;
  private readonly pending = new Map<number, (v: number) => void>();
  // pingpong (the ping side is here)
  private left = 0;
  private got = 0;
  private bad = 0;
  private pingDone: ((n: number) => void) | null = null;
  // ring: even nodes are here
  private ringSize = 0;
  private seen = 0;
  private ringDone: (() => void) | null = null;

  abstract setup(): Promise<void>;
  abstract teardown(): Promise<void>;

  protected readonly handle = (op: number, a: number, b: number): void => {
    switch (op) {
      case OP.REPLY: {
        const r = this.pending.get(a);
        if (r !== undefined) {
          this.pending.delete(a);
          r(b);
        }
        break;
      }
      case OP.PONG:
        this.got++;
        if (a !== this.left) this.bad++;
        if (--this.left > 0) this.out.send(OP.PING, this.left);
        else this.pingDone!(this.bad === 0 ? this.got : -this.bad);
        break;
      case OP.TOK:
        this.seen++;
        if (b === 0) this.ringDone!();
        else this.out.send(OP.TOK, (a + 1) % this.ringSize, b - 1);
        break;
      case OP.RINGDONE:
        this.ringDone!();
        break;
    }
  };

  private call(op: number, b = 0): Promise<number> {
    const id = ++this.seq;
    return new Promise<number>((resolve) => {
      this.pending.set(id, resolve);
      this.out.send(op, id, b);
    });
  }

  async pingpong(n: number): Promise<Timed> {
    const t0 = now();
    const got = await new Promise<number>((resolve) => {
      this.pingDone = resolve;
      this.left = n;
      this.got = 0;
      this.bad = 0;
      this.out.send(OP.PING, n);
    });
    const ms = now() - t0;
    expectEqual('pongs received by ping', got, n);
    expectEqual('pings received by pong', await this.call(OP.TAKEPONG), n);
    return { ms };
  }

  async counting(n: number): Promise<Timed> {
    const t0 = now();
    for (let i = 0; i < n; i++) this.out.send(OP.INC, 0);
    const got = await this.call(OP.TAKE, 0);
    const ms = now() - t0;
    expectEqual('count', got, n);
    return { ms };
  }

  async forkjoin(perActor: number, actors: number): Promise<Timed> {
    const t0 = now();
    for (let i = 0; i < perActor; i++) for (let k = 0; k < actors; k++) this.out.send(OP.INC, k);
    const counts = await Promise.all(Array.from({ length: actors }, (_, k) => this.call(OP.TAKE, k)));
    const ms = now() - t0;
    counts.forEach((c, k) => expectEqual(`count of fork-join actor ${k}`, c, perActor));
    return { ms };
  }

  async threadring(hops: number, ringSize: number): Promise<Timed> {
    this.ringSize = ringSize;
    await this.call(OP.RING, ringSize);
    const t0 = now();
    await new Promise<void>((resolve) => {
      this.ringDone = resolve;
      // node 0 is here
      this.handle(OP.TOK, 0, hops);
    });
    const ms = now() - t0;
    const remote = await this.call(OP.SEEN);
    const local = this.seen;
    this.seen = 0;
    expectEqual('tokens seen around the ring', local + remote, hops + 1);
    return { ms };
  }

  async askLatency(n: number): Promise<Timed> {
    return sequentialAsks(n, (i) => this.call(OP.ECHO, i));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    return pipelinedAsks(n, window, (i) => this.call(OP.ECHO, i));
  }
}

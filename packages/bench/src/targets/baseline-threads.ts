/**
 * The bare baseline of the threads runtime: the same workloads on plain worker_threads
 * postMessage, one message per postMessage, two workers (like the threads target), no
 * framework. What the medium allows without batching.
 */
import * as path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { expectEqual, now, pipelinedAsks, type TargetImpl, type Timed, sequentialAsks } from './types';

type Reply = ['r', number, unknown];

class Side {
  private seq = 0;
  private readonly pending = new Map<number, (v: unknown) => void>();
  constructor(readonly worker: Worker) {
    worker.on('message', (m: Reply) => {
      const r = this.pending.get(m[1]);
      if (r !== undefined) {
        this.pending.delete(m[1]);
        r(m[2]);
      }
    });
  }
  nextId(): number {
    return ++this.seq;
  }
  /** waits for the answer with this id */
  expect(id: number): Promise<unknown> {
    return new Promise((resolve) => this.pending.set(id, resolve));
  }
  call(op: string, arg: unknown, transfer?: readonly unknown[]): Promise<unknown> {
    const id = this.nextId();
    const p = this.expect(id);
    this.worker.postMessage([op, id, arg], transfer as never);
    return p;
  }
}

export class PostMessageTarget implements TargetImpl {
  private sides: Side[] = [];

  async setup(): Promise<void> {
    const file = path.join(__dirname, 'baseline-threads-worker.js');
    this.sides = [0, 1].map((side) => new Side(new Worker(file, { workerData: { side } })));
    const { port1, port2 } = new MessageChannel();
    expectEqual('worker 0 linked', await this.sides[0]!.call('peer', port1, [port1]), 0);
    expectEqual('worker 1 linked', await this.sides[1]!.call('peer', port2, [port2]), 1);
  }

  async teardown(): Promise<void> {
    await Promise.all(this.sides.map((s) => s.worker.terminate()));
  }

  async pingpong(n: number): Promise<Timed> {
    const a = this.sides[0]!;
    const t0 = now();
    const got = await a.call('pp', n);
    const ms = now() - t0;
    expectEqual('pongs received by ping', got, n);
    expectEqual('pings received by pong', await this.sides[1]!.call('takepong', 0), n);
    return { ms };
  }

  async counting(n: number): Promise<Timed> {
    const w = this.sides[0]!;
    const t0 = now();
    for (let i = 0; i < n; i++) w.worker.postMessage(0);
    const got = await w.call('take', 0);
    const ms = now() - t0;
    expectEqual('count', got, n);
    return { ms };
  }

  async forkjoin(perActor: number, actors: number): Promise<Timed> {
    const t0 = now();
    for (let i = 0; i < perActor; i++) for (let k = 0; k < actors; k++) this.sides[k % 2]!.worker.postMessage(k);
    const counts = await Promise.all(Array.from({ length: actors }, (_, k) => this.sides[k % 2]!.call('take', k)));
    const ms = now() - t0;
    counts.forEach((c, k) => expectEqual(`count of fork-join actor ${k}`, c, perActor));
    return { ms };
  }

  async threadring(hops: number, ringSize: number): Promise<Timed> {
    await Promise.all(this.sides.map((s) => s.call('ring', ringSize)));
    const runId = this.sides[0]!.nextId() + 1_000_000;
    await Promise.all(this.sides.map((s) => s.call('arm', runId)));
    const done = Promise.race(this.sides.map((s) => s.expect(runId)));
    const t0 = now();
    this.sides[0]!.worker.postMessage(['token', 0, hops]);
    await done;
    const ms = now() - t0;
    const seen = (await Promise.all(this.sides.map((s) => s.call('seen', 0)))) as number[];
    expectEqual('tokens seen around the ring', seen[0]! + seen[1]!, hops + 1);
    return { ms };
  }

  async askLatency(n: number): Promise<Timed> {
    const w = this.sides[0]!;
    return sequentialAsks(n, (i) => w.call('echo', i));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    const w = this.sides[0]!;
    return pipelinedAsks(n, window, (i) => w.call('echo', i));
  }
}

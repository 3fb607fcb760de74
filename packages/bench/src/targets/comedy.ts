/**
 * comedy targets: the workloads written for comedy (its documented API: createChild,
 * send, sendAndReceive), in its in-memory, threaded, forked and remote modes. The actor
 * under load is a child created in the mode measured; the driver and the pinging actor
 * are in-memory in this process, as comedy's root actor always is. Remote mode talks to a
 * comedy listener (comedy-node) started in a child process on a free port.
 */
import * as path from 'node:path';
import { ChildSide, freePort } from './child-process';
import { FORKJOIN_ACTORS } from '../workloads';
import { expectEqual, fullGc, heapUsed, now, pipelinedAsks, type TargetImpl, type Timed, sequentialAsks } from './types';

export type ComedyMode = 'in-memory' | 'threaded' | 'forked' | 'remote';

interface Ref {
  send(topic: string, ...args: unknown[]): PromiseLike<void>;
  sendAndReceive(topic: string, ...args: unknown[]): PromiseLike<unknown>;
  destroy(): PromiseLike<void>;
}
interface ActorSelf extends Ref {
  createChild(def: unknown, options?: object): PromiseLike<Ref>;
  getCustomParameters(): Record<string, unknown>;
}
interface System {
  rootActor(): PromiseLike<ActorSelf>;
  destroy(): PromiseLike<void>;
}

function moduleOf(name: string): string {
  // comedy: a path starting with '//' is absolute
  return '/' + path.join(__dirname, 'comedy', name);
}

const SPAWN_BATCH = 1000;

/** pingpong: an in-memory actor whose child (in the mode measured) is the pong side. */
class ComedyPing {
  private peer: Ref | null = null;
  private left = 0;
  private got = 0;
  private bad = 0;
  private done: ((n: number) => void) | null = null;
  async initialize(self: ActorSelf): Promise<void> {
    const p = self.getCustomParameters();
    this.peer = await self.createChild(p.pong, p.options as object);
  }
  run(n: number): Promise<number> {
    return new Promise<number>((resolve) => {
      this.left = n;
      this.got = 0;
      this.bad = 0;
      this.done = resolve;
      void this.peer!.send('ping', n);
    });
  }
  pong(left: number): void {
    this.got++;
    if (left !== this.left) this.bad++;
    if (--this.left > 0) {
      void this.peer!.send('ping', this.left);
    } else {
      const d = this.done!;
      this.done = null;
      d(this.bad === 0 ? this.got : -this.bad);
    }
  }
  takePong(): PromiseLike<unknown> {
    return this.peer!.sendAndReceive('take');
  }
}

/**
 * counting and fork-join: an in-memory actor whose children (in the mode measured) are the
 * counters. run(n) tells each counter n times, then tells it to report; the counters answer
 * with a message (comedy keeps tells in order, but an ask may overtake earlier tells).
 */
class ComedyCountDriver {
  private counters: Ref[] = [];
  private counts: number[] = [];
  private missing = 0;
  private done: ((counts: number[]) => void) | null = null;
  async initialize(self: ActorSelf): Promise<void> {
    const p = self.getCustomParameters();
    const made: Array<PromiseLike<Ref>> = [];
    for (let k = 0; k < (p.actors as number); k++) made.push(self.createChild(p.counter, p.options as object));
    this.counters = await Promise.all(made);
  }
  /** tells the first `active` counters `perActor` times each; answers their counts */
  run(perActor: number, active: number): Promise<number[]> {
    return new Promise<number[]>((resolve) => {
      const cs = this.counters.slice(0, active);
      this.counts = new Array<number>(cs.length).fill(-1);
      this.missing = cs.length;
      this.done = resolve;
      for (let i = 0; i < perActor; i++) for (let k = 0; k < cs.length; k++) cs[k]!.send('inc').then(undefined, fail);
      for (let k = 0; k < cs.length; k++) cs[k]!.send('report', k).then(undefined, fail);
    });
  }
  counted(k: number, n: number): void {
    this.counts[k] = n;
    if (--this.missing === 0) this.done!(this.counts);
  }
}

/** threadring (in-memory only: the ring needs references between siblings). */
class ComedyRingNode {
  private next: Ref | null = null;
  private sink: Ref | null = null;
  private seen = 0;
  link(next: Ref, sink: Ref): void {
    this.next = next;
    this.sink = sink;
  }
  token(hops: number): void {
    this.seen++;
    if (hops === 0) void this.sink!.send('done');
    else void this.next!.send('token', hops - 1);
  }
  take(): number {
    const n = this.seen;
    this.seen = 0;
    return n;
  }
}

class ComedySink {
  private finished = 0;
  private waiter: (() => void) | null = null;
  wait(): Promise<void> {
    if (this.finished > 0) {
      this.finished--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }
  done(): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w();
    } else {
      this.finished++;
    }
  }
}

class ComedyIdle {
  ping(): number {
    return 1;
  }
}

export class ComedyTarget implements TargetImpl {
  private system!: System;
  private root!: ActorSelf;
  private listener: ChildSide | null = null;
  private options: Record<string, unknown> = {};
  private readonly cache = new Map<string, unknown>();

  constructor(readonly mode: ComedyMode) {}

  async setup(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const actors = require('comedy') as (options?: object) => System;
    this.options = { mode: this.mode };
    if (this.mode === 'remote') {
      const port = await freePort();
      this.listener = await ChildSide.start(path.join(__dirname, 'comedy-listener.js'), [String(port)]);
      this.options = { mode: 'remote', host: '127.0.0.1', port };
    }
    this.system = actors({ test: true });
    this.root = await this.system.rootActor();
    // the actors under load are threads or processes in the other modes: start them all at once
    await Promise.all([this.pingActor(), this.countDriver(), this.cached('echo', () => this.child('echo'))]);
  }

  async teardown(): Promise<void> {
    try {
      await withTimeout(this.system.destroy(), 10_000, 'comedy system destroy');
    } finally {
      if (this.listener !== null) await this.listener.stop();
    }
  }

  private child(name: string): Promise<Ref> {
    return Promise.resolve(this.root.createChild(moduleOf(name), this.options));
  }

  private cached<T>(key: string, make: () => Promise<T>): Promise<T> {
    let v = this.cache.get(key) as Promise<T> | undefined;
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  async pingpong(n: number): Promise<Timed> {
    const ping = await this.pingActor();
    const t0 = now();
    const got = await ping.sendAndReceive('run', n);
    const ms = now() - t0;
    expectEqual('pongs received by ping', got, n);
    expectEqual('pings received by pong', await ping.sendAndReceive('takePong'), n);
    return { ms };
  }

  private countDriver(): Promise<Ref> {
    return this.cached('counting', async () =>
      this.root.createChild(ComedyCountDriver, {
        mode: 'in-memory',
        customParameters: { counter: moduleOf('counter'), options: this.options, actors: FORKJOIN_ACTORS },
      }),
    );
  }

  private pingActor(): Promise<Ref> {
    return this.cached('pingpong', async () =>
      this.root.createChild(ComedyPing, { mode: 'in-memory', customParameters: { pong: moduleOf('pong'), options: this.options } }),
    );
  }

  async counting(n: number): Promise<Timed> {
    const driver = await this.countDriver();
    const t0 = now();
    const counts = (await driver.sendAndReceive('run', n, 1)) as number[];
    const ms = now() - t0;
    expectEqual('count', counts[0], n);
    return { ms };
  }

  async forkjoin(perActor: number, actors: number): Promise<Timed> {
    const driver = await this.countDriver();
    const t0 = now();
    const counts = (await driver.sendAndReceive('run', perActor, actors)) as number[];
    const ms = now() - t0;
    counts.forEach((c, k) => expectEqual(`count of fork-join actor ${k}`, c, perActor));
    return { ms };
  }

  async askLatency(n: number): Promise<Timed> {
    const echo = await this.cached('echo', () => this.child('echo'));
    return sequentialAsks(n, (i) => echo.sendAndReceive('echo', i));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    const echo = await this.cached('echo', () => this.child('echo'));
    return pipelinedAsks(n, window, (i) => echo.sendAndReceive('echo', i));
  }

  async threadring(hops: number, ringSize: number): Promise<Timed> {
    const { ring, sink } = await this.cached('threadring', async () => {
      const sink = await this.root.createChild(ComedySink, { mode: 'in-memory' });
      const ring: Ref[] = [];
      for (let i = 0; i < ringSize; i++) ring.push(await this.root.createChild(ComedyRingNode, { mode: 'in-memory' }));
      for (let i = 0; i < ringSize; i++) await ring[i]!.sendAndReceive('link', ring[(i + 1) % ringSize], sink);
      return { ring, sink };
    });
    const t0 = now();
    const finished = sink.sendAndReceive('wait');
    void ring[0]!.send('token', hops);
    await finished;
    const ms = now() - t0;
    let seen = 0;
    for (const node of ring) seen += (await node.sendAndReceive('take')) as number;
    expectEqual('tokens seen around the ring', seen, hops + 1);
    return { ms };
  }

  /**
   * A fresh actor system for spawning: comedy removes a destroyed child from its parent's
   * list with a copy of the list (quadratic in the children), so spawned actors are not
   * destroyed one by one; their system is dropped whole (its signal handlers removed).
   */
  private async freshRoot(): Promise<{ system: System; root: ActorSelf }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const actors = require('comedy') as (options?: object) => System;
    const system = actors({ test: true });
    return { system, root: await system.rootActor() };
  }

  private drop(system: System): void {
    const s = system as unknown as { sigintHandler?: () => void; sigtermHandler?: () => void };
    if (s.sigintHandler) process.removeListener('SIGINT', s.sigintHandler);
    if (s.sigtermHandler) process.removeListener('SIGTERM', s.sigtermHandler);
  }

  private async spawnMany(root: ActorSelf, n: number): Promise<{ ms: number; refs: Ref[] }> {
    const refs: Ref[] = [];
    const t0 = now();
    for (let i = 0; i < n; i += SPAWN_BATCH) {
      const batch: Array<PromiseLike<Ref>> = [];
      for (let j = i; j < Math.min(n, i + SPAWN_BATCH); j++) batch.push(root.createChild(ComedyIdle, { mode: 'in-memory' }));
      refs.push(...(await Promise.all(batch)));
    }
    return { ms: now() - t0, refs };
  }

  private async check(refs: Ref[]): Promise<void> {
    const step = Math.max(1, Math.floor(refs.length / 50));
    for (let i = 0; i < refs.length; i += step) expectEqual(`spawned actor ${i} answers`, await refs[i]!.sendAndReceive('ping'), 1);
  }

  async spawn(n: number): Promise<Timed> {
    const { system, root } = await this.freshRoot();
    const { ms, refs } = await this.spawnMany(root, n);
    await this.check(refs);
    expectEqual('actors spawned', new Set(refs.map((r) => (r as unknown as { getId(): string }).getId())).size, n);
    this.drop(system);
    return { ms };
  }

  async memory(n: number): Promise<Timed> {
    const { system, root } = await this.freshRoot();
    await fullGc();
    const before = heapUsed();
    let { refs } = await this.spawnMany(root, n);
    const ids = refs.length;
    const sample = refs.filter((_, i) => i % Math.max(1, Math.floor(ids / 50)) === 0);
    refs = [];
    await fullGc();
    const after = heapUsed();
    await this.check(sample);
    expectEqual('actors spawned', ids, n);
    this.drop(system);
    return { ms: 0, bytesPerActor: (after - before) / n };
  }
}

function fail(e: unknown): void {
  process.stderr.write(`comedy send failed: ${String(e)}\n`);
}

async function withTimeout<T>(p: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(p),
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Which workloads map onto each comedy mode. */
export function makeComedyTarget(mode: ComedyMode): TargetImpl {
  const t = new ComedyTarget(mode);
  const drop = (k: keyof TargetImpl): void => {
    (t as unknown as Record<string, unknown>)[k] = undefined;
  };
  if (mode !== 'in-memory') {
    // a ring needs references between sibling actors, which comedy passes only in memory;
    // spawning an idle actor in these modes starts a thread or a process per actor
    drop('threadring');
    drop('spawn');
    drop('memory');
  }
  return t;
}

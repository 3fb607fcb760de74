/**
 * nact target: the workloads written for nact (spawn, dispatch, query), in one process.
 */
import { expectEqual, fullGc, heapUsed, now, pipelinedAsks, type TargetImpl, type Timed, sequentialAsks } from './types';

type NactRef = object;
interface Nact {
  start(): NactRef;
  stop(ref: NactRef): void;
  spawn(parent: NactRef, f: (state: never, msg: never, ctx: never) => unknown, name?: string, props?: object): NactRef;
  spawnStateless(parent: NactRef, f: (msg: never, ctx: never) => unknown, name?: string): NactRef;
  dispatch(ref: NactRef, msg: unknown, sender?: NactRef): void;
  query(ref: NactRef, msg: (sender: NactRef) => unknown, timeoutMs: number): Promise<unknown>;
}

const FOREVER = 600_000;

interface CounterMsg {
  t: 'inc' | 'take';
  sender?: NactRef;
}

export class NactTarget implements TargetImpl {
  private nact!: Nact;
  private system!: NactRef;
  private seq = 0;
  private readonly cache = new Map<string, unknown>();

  async setup(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.nact = require('nact') as Nact;
    this.system = this.nact.start();
  }

  async teardown(): Promise<void> {
    this.nact.stop(this.system);
  }

  private cached<T>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  private counter(): NactRef {
    const { spawn, dispatch } = this.nact;
    return spawn(
      this.system,
      (state: number, msg: CounterMsg) => {
        if (msg.t === 'inc') return state + 1;
        dispatch(msg.sender!, state);
        return 0;
      },
      `counter${++this.seq}`,
      { initialState: 0 },
    );
  }

  private echo(): NactRef {
    const { spawnStateless, dispatch } = this.nact;
    return spawnStateless(this.system, (msg: { x: number; sender: NactRef }) => dispatch(msg.sender, msg.x), `echo${++this.seq}`);
  }

  async pingpong(n: number): Promise<Timed> {
    const { spawn, dispatch, query } = this.nact;
    const { ping, pong } = this.cached('pingpong', () => {
      const pong = spawn(
        this.system,
        (state: number, msg: { t: string; left?: number; from?: NactRef; sender?: NactRef }) => {
          if (msg.t === 'ping') {
            dispatch(msg.from!, { t: 'pong', left: msg.left });
            return state + 1;
          }
          dispatch(msg.sender!, state);
          return 0;
        },
        `pong${++this.seq}`,
        { initialState: 0 },
      );
      interface PingState {
        left: number;
        got: number;
        bad: number;
        sender: NactRef | null;
      }
      const ping = spawn(
        this.system,
        (s: PingState, msg: { t: string; n?: number; left?: number; sender?: NactRef }, ctx: { self: NactRef }) => {
          if (msg.t === 'run') {
            dispatch(pong, { t: 'ping', left: msg.n, from: ctx.self });
            return { left: msg.n!, got: 0, bad: 0, sender: msg.sender! };
          }
          const got = s.got + 1;
          const bad = s.bad + (msg.left === s.left ? 0 : 1);
          const left = s.left - 1;
          if (left > 0) {
            dispatch(pong, { t: 'ping', left, from: ctx.self });
            return { left, got, bad, sender: s.sender };
          }
          dispatch(s.sender!, bad === 0 ? got : -bad);
          return { left: 0, got, bad, sender: null };
        },
        `ping${++this.seq}`,
        { initialState: { left: 0, got: 0, bad: 0, sender: null } },
      );
      return { ping, pong };
    });
    const t0 = now();
    const got = await query(ping, (sender) => ({ t: 'run', n, sender }), FOREVER);
    const ms = now() - t0;
    expectEqual('pongs received by ping', got, n);
    expectEqual('pings received by pong', await query(pong, (sender) => ({ t: 'take', sender }), FOREVER), n);
    return { ms };
  }

  async counting(n: number): Promise<Timed> {
    const { dispatch, query } = this.nact;
    const counter = this.cached('counting', () => this.counter());
    const t0 = now();
    for (let i = 0; i < n; i++) dispatch(counter, { t: 'inc' });
    const got = await query(counter, (sender) => ({ t: 'take', sender }), FOREVER);
    const ms = now() - t0;
    expectEqual('count', got, n);
    return { ms };
  }

  async forkjoin(perActor: number, actors: number): Promise<Timed> {
    const { dispatch, query } = this.nact;
    const counters = this.cached('forkjoin', () => Array.from({ length: actors }, () => this.counter()));
    const inc = { t: 'inc' };
    const t0 = now();
    for (let i = 0; i < perActor; i++) for (let k = 0; k < actors; k++) dispatch(counters[k]!, inc);
    const counts = await Promise.all(counters.map((c) => query(c, (sender) => ({ t: 'take', sender }), FOREVER)));
    const ms = now() - t0;
    counts.forEach((c, k) => expectEqual(`count of fork-join actor ${k}`, c, perActor));
    return { ms };
  }

  async askLatency(n: number): Promise<Timed> {
    const echo = this.cached('echo', () => this.echo());
    const { query } = this.nact;
    return sequentialAsks(n, (i) => query(echo, (sender) => ({ x: i, sender }), FOREVER));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    const echo = this.cached('echo', () => this.echo());
    const { query } = this.nact;
    return pipelinedAsks(n, window, (i) => query(echo, (sender) => ({ x: i, sender }), FOREVER));
  }

  async threadring(hops: number, ringSize: number): Promise<Timed> {
    const { spawn, dispatch, query } = this.nact;
    const { ring, sink } = this.cached('threadring', () => {
      interface SinkState {
        finished: number;
        waiter: NactRef | null;
      }
      const sink = spawn(
        this.system,
        (s: SinkState, msg: { t: string; sender?: NactRef }) => {
          if (msg.t === 'wait') {
            if (s.finished > 0) {
              dispatch(msg.sender!, true);
              return { finished: s.finished - 1, waiter: null };
            }
            return { finished: 0, waiter: msg.sender! };
          }
          if (s.waiter !== null) {
            dispatch(s.waiter, true);
            return { finished: s.finished, waiter: null };
          }
          return { finished: s.finished + 1, waiter: null };
        },
        `sink${++this.seq}`,
        { initialState: { finished: 0, waiter: null } },
      );
      interface NodeState {
        next: NactRef | null;
        seen: number;
      }
      const ring: NactRef[] = [];
      for (let i = 0; i < ringSize; i++) {
        ring.push(
          spawn(
            this.system,
            (s: NodeState, msg: { t: string; next?: NactRef; hops?: number; sender?: NactRef }) => {
              if (msg.t === 'token') {
                if (msg.hops === 0) dispatch(sink, { t: 'done' });
                else dispatch(s.next!, { t: 'token', hops: msg.hops! - 1 });
                return { next: s.next, seen: s.seen + 1 };
              }
              if (msg.t === 'link') return { next: msg.next!, seen: s.seen };
              dispatch(msg.sender!, s.seen);
              return { next: s.next, seen: 0 };
            },
            `ring${++this.seq}`,
            { initialState: { next: null, seen: 0 } },
          ),
        );
      }
      for (let i = 0; i < ringSize; i++) dispatch(ring[i]!, { t: 'link', next: ring[(i + 1) % ringSize] });
      return { ring, sink };
    });
    const t0 = now();
    const finished = query(sink, (sender) => ({ t: 'wait', sender }), FOREVER);
    dispatch(ring[0]!, { t: 'token', hops });
    await finished;
    const ms = now() - t0;
    let seen = 0;
    for (const node of ring) seen += (await query(node, (sender) => ({ t: 'take', sender }), FOREVER)) as number;
    expectEqual('tokens seen around the ring', seen, hops + 1);
    return { ms };
  }

  /** Spawns n stateless actors under `parent`; returns the time and a sample of 50 references. */
  private spawnMany(parent: NactRef, prefix: string, n: number): { ms: number; sample: NactRef[] } {
    const { spawnStateless, dispatch } = this.nact;
    const f = ((msg: { sender: NactRef }) => dispatch(msg.sender, 1)) as never;
    const step = Math.max(1, Math.floor(n / 50));
    const sample: NactRef[] = [];
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const ref = spawnStateless(parent, f, prefix + i);
      if (i % step === 0) sample.push(ref);
    }
    return { ms: now() - t0, sample };
  }

  private async check(parent: NactRef, sample: NactRef[], n: number): Promise<void> {
    const { query } = this.nact;
    for (const ref of sample) expectEqual('a spawned actor answers', await query(ref, (sender) => ({ sender }), FOREVER), 1);
    expectEqual('actors spawned', (parent as unknown as { children?: Map<string, unknown> }).children?.size ?? n, n);
  }

  async spawn(n: number): Promise<Timed> {
    const prefix = `s${++this.seq}_`;
    const parent = this.nact.start();
    const { ms, sample } = this.spawnMany(parent, prefix, n);
    await this.check(parent, sample, n);
    this.nact.stop(parent);
    return { ms };
  }

  async memory(n: number): Promise<Timed> {
    const prefix = `m${++this.seq}_`;
    await fullGc();
    const before = heapUsed();
    const parent = this.nact.start();
    const { sample } = this.spawnMany(parent, prefix, n);
    await fullGc();
    const after = heapUsed();
    await this.check(parent, sample, n);
    this.nact.stop(parent);
    return { ms: 0, bytesPerActor: (after - before) / n };
  }
}

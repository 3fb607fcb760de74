/**
 * The tsactor-cluster target: three member processes on loopback join a cluster (seeds
 * membership: the first member keeps the table) and serve virtual actors; the driver joins as
 * a member that only calls, and calls them through `cluster.get`. Its figures sit beside
 * tsactor-cluster-plain's, its pair (measured in the same process, repetitions interleaved):
 * the same cluster called through plain remote proxies (lookupUrl) to plain actors on the
 * member that serves the virtual ones, the baseline of the "within 10% of a remote proxy"
 * goals (same processes, same member, same moment):
 * - counting: tells to one active virtual actor, then an ask for the count;
 * - ask latency / ask throughput: asks to one active virtual actor;
 *   (each repetition first makes one untimed call: activations idle for IDLE seconds
 *   passivate, as while the other targets' repetitions run, and calls that arrive during an
 *   activation wait in a bounded queue)
 * - spawn rate: activations/s, each the first call to a new key (activated on its owner among
 *   the three, under an activation lease from the seed).
 * - failover: after kill -9, three rounds: the member serving the most of 24 identities (never
 *   the seed) is killed and a new one started; per identity it served, the time from the kill
 *   to the first answered call elsewhere (ms; p50 and p99 over the identities).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Cluster, HostProxy, Proxy } from 'tsactor';
import { PLAIN_COUNTER, PLAIN_ECHO, VCounter, VEcho, VWhere } from './tsactor-cluster-actors';
import { freePort } from './child-process';
import {
  LostMessagesError,
  TELL_ROUND,
  expectEqual,
  now,
  pipelinedAsks,
  sequentialAsks,
  countTo,
  type TargetImpl,
  type Timed,
} from './types';

/** Member processes. */
const MEMBERS = 3;
/** Lease TTL of members and activations (s): failover is bounded by it. */
const TTL = 1.5;
/** Activations idle this long passivate (s): the spawn workload's keys go away between repetitions. */
const IDLE = 2;
/** Identities called during the failover measurement, and kill rounds. */
const FAILOVER_KEYS = 24;
const FAILOVER_ROUNDS = 3;
const ACTIVATION_BATCH = 1000;

/** One member process (killed with SIGKILL for the failover measurement). */
class MemberChild {
  private exited = false;
  readonly exit: Promise<void>;

  private constructor(
    readonly url: string,
    private readonly proc: ChildProcess,
  ) {
    this.exit = new Promise((resolve) =>
      proc.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
  }

  static async start(url: string, seed: string, name: string): Promise<MemberChild> {
    const extra = (process.env.TSACTOR_BENCH_REMOTE_ARGS ?? '').split(' ').filter(Boolean);
    const proc = fork(path.join(__dirname, 'tsactor-cluster-member.js'), [url, seed, name, String(TTL), String(IDLE)], {
      execArgv: extra,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, TSACTOR_CONTEXT: '' },
    });
    const m = new MemberChild(url, proc);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster member ${url} did not join within 30 s`)), 30_000);
      proc.on('message', (msg: { type?: string; error?: string }) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`cluster member ${url}: ${msg.error}`));
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`cluster member ${url} exited (${signal ?? code}) before it joined`));
      });
    }).catch(async (e: unknown) => {
      await m.kill();
      throw e;
    });
    return m;
  }

  /** SIGKILL: the process dies at once, its connections reset. */
  async kill(): Promise<void> {
    if (!this.exited) this.proc.kill('SIGKILL');
    await this.exit;
  }

  /** Asks the member to leave and exit; SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    this.proc.kill('SIGTERM');
    await this.exit;
    clearTimeout(timer);
  }
}

export class ClusterTarget implements TargetImpl {
  private tsactor!: typeof import('tsactor');
  private cluster!: Cluster;
  private host!: HostProxy;
  private readonly members: MemberChild[] = [];
  private name = '';
  private seed = '';
  private seq = 0;
  private counter: Proxy<VCounter> | undefined;
  private echo: Proxy<VEcho> | undefined;

  /** the plain actors beside the virtual ones (see the file comment) */
  private plainCounter: Proxy<VCounter> | undefined;
  private plainEcho: Proxy<VEcho> | undefined;

  async setup(): Promise<void> {
    this.tsactor = await import('tsactor');
    this.tsactor.setContext('async');
    this.name = `bench-${process.pid}`;
    this.seed = `grpc://127.0.0.1:${await freePort()}/`;
    for (let i = 0; i < MEMBERS; i++) {
      const url = i === 0 ? this.seed : `grpc://127.0.0.1:${await freePort()}/`;
      this.members.push(await MemberChild.start(url, this.seed, this.name));
    }
    const url = `grpc://127.0.0.1:${await freePort()}/`;
    this.host = await this.tsactor.createHost(url, { timeout: 60 });
    this.cluster = await this.tsactor.joinCluster({
      name: this.name,
      url,
      membership: { seeds: [this.seed] },
      kinds: [],
      ttl: TTL,
      timeout: 60,
    });
    this.cluster.on('error', () => undefined);
    await this.serving(MEMBERS);
    // the actors under load are active before the first repetition
    this.counter = this.cluster.get(VCounter, 'counting');
    expectEqual('count', await this.counter.take(), 0);
    this.echo = this.cluster.get(VEcho, 'echo');
    expectEqual('echo', await this.echo.echo(1), 1);
    this.plainCounter = await this.host.lookupUrl<VCounter>((await this.servedBy('Counter/counting')) + PLAIN_COUNTER, VCounter);
    this.plainEcho = await this.host.lookupUrl<VEcho>((await this.servedBy('Echo/echo')) + PLAIN_ECHO, VEcho);
    expectEqual('plain count', await this.plainCounter.take(), 0);
  }

  /** tsactor-cluster-plain: counting and asks to the plain actors, in this cluster. */
  pair(): { target: string; impl: TargetImpl } {
    const impl: TargetImpl = {
      setup: () => Promise.resolve(),
      teardown: () => Promise.resolve(),
      counting: (n) => countingOn(this.plainCounter!, n),
      askLatency: (n) => sequentialAsks(n, (i) => this.plainEcho!.echo(i)),
      askThroughput: (n, window) => pipelinedAsks(n, window, (i) => this.plainEcho!.echo(i)),
    };
    return { target: 'tsactor-cluster-plain', impl };
  }

  /** The URL of the member whose host runs the activation of `identity`. */
  private async servedBy(identity: string): Promise<string> {
    for (const m of this.members) if (await (await this.host.lookupUrl<never>(m.url)).hasActor(identity)) return m.url;
    throw new Error(`no member runs ${identity}`);
  }

  async teardown(): Promise<void> {
    await this.cluster.close().catch(() => undefined);
    await Promise.all(this.members.map((m) => m.stop()));
    await this.tsactor.shutdown();
  }

  async counting(n: number): Promise<Timed> {
    // the counter is active when the repetition starts (it passivates when idle for IDLE
    // seconds, as while the other targets' repetitions run): the tells go to an active
    // actor, not into the bounded queue of calls that wait for its activation
    expectEqual('count before the repetition', await this.counter!.take(), 0);
    return countingOn(this.counter!, n);
  }

  async askLatency(n: number): Promise<Timed> {
    const echo = this.echo!;
    expectEqual('echo before the repetition', await echo.echo(0), 0);
    return sequentialAsks(n, (i) => echo.echo(i));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    const echo = this.echo!;
    expectEqual('echo before the repetition', await echo.echo(0), 0);
    return pipelinedAsks(n, window, (i) => echo.echo(i));
  }

  /** n activations: the first call to each of n new keys, ACTIVATION_BATCH in flight. */
  async spawn(n: number): Promise<Timed> {
    const prefix = `a${++this.seq}_`;
    const t0 = now();
    for (let i = 0; i < n; i += ACTIVATION_BATCH) {
      const batch: Array<PromiseLike<number>> = [];
      for (let j = i; j < Math.min(n, i + ACTIVATION_BATCH); j++) batch.push(this.cluster.get(VEcho, prefix + j).echo(j));
      const got = await Promise.all(batch);
      for (let j = 0; j < got.length; j++) if (got[j] !== i + j) throw new LostMessagesError(`activation ${i + j} answered ${got[j]}`);
    }
    return { ms: now() - t0 };
  }

  /** Members that declare the kinds, as this process sees them. */
  private async serving(n: number): Promise<void> {
    const until = Date.now() + 30_000;
    while (this.cluster.members().filter((m) => m.kinds.length > 0).length !== n) {
      if (Date.now() > until) throw new Error(`the cluster did not reach ${n} serving members within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Failover after kill -9 (see the file comment): one latency (ms) per identity that moved. */
  async failover(): Promise<Timed> {
    const t0 = now();
    const keys = Array.from({ length: FAILOVER_KEYS }, (_, i) => `f${i}`);
    const last = new Map<string, { member: string; at: number }>();
    let running = true;
    const drivers = keys.map(async (k) => {
      const p = this.cluster.get(VWhere, k).withTimeout(5);
      while (running) {
        try {
          last.set(k, { member: await p.at(), at: Date.now() });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    });
    const samples: number[] = [];
    try {
      await until(() => keys.every((k) => last.has(k)), 'every failover identity answers');
      for (let round = 0; round < FAILOVER_ROUNDS; round++) {
        const count = new Map<string, number>();
        for (const v of last.values()) count.set(v.member, (count.get(v.member) ?? 0) + 1);
        const victim = this.members
          .filter((m) => m.url !== this.seed)
          .sort((a, b) => (count.get(b.url) ?? 0) - (count.get(a.url) ?? 0))[0]!;
        const moved = keys.filter((k) => last.get(k)!.member === victim.url);
        const killedAt = Date.now();
        await victim.kill();
        this.members.splice(this.members.indexOf(victim), 1);
        await until(() => moved.every((k) => last.get(k)!.at > killedAt && last.get(k)!.member !== victim.url), 'the identities come back');
        for (const k of moved) samples.push(last.get(k)!.at - killedAt);
        this.members.push(await MemberChild.start(`grpc://127.0.0.1:${await freePort()}/`, this.seed, this.name));
        await this.serving(MEMBERS);
      }
    } finally {
      running = false;
      await Promise.all(drivers);
    }
    return { ms: now() - t0, latencies: Float64Array.from(samples) };
  }
}

/** n tells to `counter` (in rounds), then its count, which must be n. */
function countingOn(counter: Proxy<VCounter>, n: number): Promise<Timed> {
  return countTo(
    n,
    TELL_ROUND,
    () => counter.inc(),
    () => counter.take(),
  );
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`failover: ${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

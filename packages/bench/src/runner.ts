/**
 * Measures one workload of one target: calibrates the size of a repetition, warms up, runs
 * the repetitions and takes the median. Every repetition checks its own result; a failed
 * check throws (LostMessagesError) and the workload has no figure.
 */
import type { TargetImpl, Timed } from './targets/types';
import { ASK_WINDOW, FORKJOIN_ACTORS, RING_SIZE, type WorkloadId } from './workloads';
import type { CellResult } from './results';
import { median, quantile, spreadPct } from './stats';
import { minorGc } from './gc';

export interface ChildOptions {
  readonly quick: boolean;
  readonly reps: number;
  /** wanted duration of one repetition, ms */
  readonly targetMs: number;
  readonly workloads: readonly WorkloadId[];
  /** actors of the memory workload (at most; fewer where spawning is slow) */
  readonly memoryActors: number;
  /** the targets measured with this one, interleaved (their `measuredBy` is this target) */
  readonly pairs?: readonly string[];
  /**
   * Served: the process runs what the primary asks for, one step at a time (see child.ts),
   * so that the primary can interleave the repetitions of several targets' processes.
   */
  readonly serve?: boolean;
}

interface Plan {
  readonly method: keyof TargetImpl;
  /** size of the first calibration run */
  readonly n0: number;
  readonly nMax: number;
  run(impl: TargetImpl, n: number): Promise<Timed>;
  /** the figure of one repetition */
  figure(n: number, t: Timed): number;
}

const perSecond = (ops: (n: number) => number) => (n: number, t: Timed) => ops(n) / (t.ms / 1000);

/**
 * At most this many actors per spawn repetition, so that fast targets are compared at the
 * same size (the cost of a spawn grows with the number of live actors the GC walks).
 */
export const SPAWN_MAX = 10_000;

export const PLANS: Record<WorkloadId, Plan> = {
  pingpong: { method: 'pingpong', n0: 20, nMax: 5e6, run: (i, n) => i.pingpong!(n), figure: perSecond((n) => n) },
  counting: { method: 'counting', n0: 100, nMax: 2e7, run: (i, n) => i.counting!(n), figure: perSecond((n) => n) },
  threadring: {
    method: 'threadring',
    n0: 50,
    nMax: 2e7,
    run: (i, n) => i.threadring!(n, RING_SIZE),
    figure: perSecond((n) => n),
  },
  forkjoin: {
    method: 'forkjoin',
    n0: 20,
    nMax: 2e6,
    run: (i, n) => i.forkjoin!(n, FORKJOIN_ACTORS),
    figure: perSecond((n) => n * FORKJOIN_ACTORS),
  },
  'ask-latency': {
    method: 'askLatency',
    n0: 20,
    nMax: 2e6,
    run: (i, n) => i.askLatency!(n),
    figure: (_n, t) => quantile(t.latencies!, 0.5),
  },
  'ask-throughput': {
    method: 'askThroughput',
    n0: 200,
    nMax: 1e7,
    run: (i, n) => i.askThroughput!(n, ASK_WINDOW),
    figure: perSecond((n) => n),
  },
  spawn: { method: 'spawn', n0: 50, nMax: SPAWN_MAX, run: (i, n) => i.spawn!(n), figure: perSecond((n) => n) },
  memory: { method: 'memory', n0: 0, nMax: 0, run: (i, n) => i.memory!(n), figure: (_n, t) => t.bytesPerActor! },
  failover: { method: 'failover', n0: 0, nMax: 0, run: (i) => i.failover!(), figure: (_n, t) => quantile(t.latencies!, 0.5) },
};

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s (messages lost or stuck)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs one repetition of workload `w` of `impl` with size `n`, within the run timeout,
 * starting with an empty young generation (see minorGc).
 */
function runner(impl: TargetImpl, w: WorkloadId, o: ChildOptions): (n: number) => Promise<Timed> {
  const plan = PLANS[w];
  const runTimeout = o.quick ? 30_000 : 120_000;
  return (n: number): Promise<Timed> => {
    minorGc();
    return withTimeout(plan.run(impl, n), runTimeout, `${w} with n=${n}`);
  };
}

export async function measure(
  impl: TargetImpl,
  target: string,
  w: WorkloadId,
  o: ChildOptions,
  spawnRate: number | undefined,
): Promise<CellResult> {
  const run = runner(impl, w, o);
  if (w === 'failover') return measureOnce(PLANS[w], await run(0), target, w);
  const n = await calibrate(run, w, o, spawnRate);
  const reps = new Repetitions(target, w);
  const count = w === 'memory' ? Math.min(o.reps, 3) : o.reps;
  for (let r = 0; r < count; r++) reps.add(n, await run(n));
  return reps.result(n);
}

/**
 * The order in which the targets of round `round` (from 0) run their repetitions: as given in
 * even rounds, reversed in odd ones (a, b, c, then c, b, a ...), so that over an even number
 * of rounds every target runs in every place equally often, and none always after the same
 * one (the last of a round also runs first in the next, twice in a row). A
 * fixed order biased the ratios: the cluster's virtual actors, always run right after another
 * target and before their plain pair, measured 0.93 of the pair's pipelined asks (median of
 * four runs) and 1.00 with the pair's order swapped; tsactor's gRPC pingpong, run before the
 * bare stream, 0.85 of it (median of eight runs) and 0.89 after it.
 */
export function roundOrder<T>(items: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? items : [...items].reverse();
}

/**
 * Measures workload `w` of two targets that share one setup (`a` the primary, `b` its
 * pair: e.g. virtual actors and plain proxies in the same cluster) with the size calibrated
 * on `a`, their repetitions interleaved (a, b, b, a, a, b ...: see {@link roundOrder}): a
 * figure of one is compared with the other's taken under the same conditions, not minutes apart.
 */
export async function measurePair(
  a: { impl: TargetImpl; target: string },
  b: { impl: TargetImpl; target: string },
  w: WorkloadId,
  o: ChildOptions,
): Promise<[CellResult, CellResult]> {
  const runA = runner(a.impl, w, o);
  const runB = runner(b.impl, w, o);
  const n = await calibrate(runA, w, o, undefined);
  // the pair's code warms up at the same size
  if (!o.quick) await warmUp(runB, n);
  const repsA = new Repetitions(a.target, w);
  const repsB = new Repetitions(b.target, w);
  const pair = [
    { run: runA, reps: repsA },
    { run: runB, reps: repsB },
  ];
  for (let r = 0; r < o.reps; r++) for (const x of roundOrder(pair, r)) x.reps.add(n, await x.run(n));
  return [
    { ...repsA.result(n), interleavedWith: [b.target] },
    { ...repsB.result(n), interleavedWith: [a.target] },
  ];
}

/**
 * The workloads whose repetitions the primary may interleave across processes: every one but
 * memory (its heap figure wants the process to itself) and failover (one run that kills members).
 */
export function interleavable(w: WorkloadId): boolean {
  return w !== 'memory' && w !== 'failover';
}

/** The calibrated, warmed-up size of a repetition of `w` of `impl`, for a caller that runs the repetitions. */
export function sizeOf(impl: TargetImpl, w: WorkloadId, o: ChildOptions): Promise<number> {
  return calibrate(runner(impl, w, o), w, o, undefined);
}

/** One repetition of `w` of `impl` at size `n`. */
export function repetition(impl: TargetImpl, w: WorkloadId, o: ChildOptions, n: number): Promise<Timed> {
  return runner(impl, w, o)(n);
}

/**
 * The least a target runs of a workload before its repetitions are measured, in operations:
 * V8 optimizes a function once it has run often enough, so a warm-up is counted in what it
 * did, not in runs. A workload whose repetitions are small (a round trip across processes:
 * about a thousand per repetition) otherwise measures its code while it is still being
 * optimized, its repetitions rising one after the other. At most WARM_MAX_MS of it.
 */
export const WARM_OPS = 10_000;
const WARM_MAX_MS = 2_000;

/** Runs repetitions of size `n` until WARM_OPS operations or WARM_MAX_MS have gone (at least one); the last run's time. */
async function warmUp(run: (n: number) => Promise<Timed>, n: number): Promise<Timed> {
  let last = await run(n);
  let ops = n;
  let ms = last.ms;
  while (ops < WARM_OPS && ms < WARM_MAX_MS) {
    last = await run(n);
    ops += n;
    ms += last.ms;
  }
  return last;
}

/** The size of a repetition of `w` (see {@link measure}): grown until a run takes about `targetMs`, after a warm-up. */
async function calibrate(
  run: (n: number) => Promise<Timed>,
  w: WorkloadId,
  o: ChildOptions,
  spawnRate: number | undefined,
): Promise<number> {
  const plan = PLANS[w];
  let n: number;
  if (w === 'memory') {
    // enough actors for a clear heap delta, but no more than about 4 repetitions' worth of spawning
    n = o.memoryActors;
    const floor = o.quick ? 500 : 2000;
    if (spawnRate !== undefined) n = Math.max(floor, Math.min(n, Math.round((spawnRate * o.targetMs * 4) / 1000 / floor) * floor));
    await run(Math.min(o.quick ? 200 : 1000, n)); // warm-up
  } else {
    // calibration: grow n until one run takes a while, then size the repetitions to targetMs
    const calMs = o.targetMs / 2;
    n = plan.n0;
    let t = await run(n);
    while (t.ms < calMs && n < plan.nMax) {
      const grow = Math.min(10, Math.max(2, calMs / Math.max(t.ms, 0.01)));
      n = Math.min(plan.nMax, Math.ceil(n * grow));
      t = await run(n);
    }
    n = Math.max(plan.n0, Math.min(plan.nMax, Math.round((n * o.targetMs) / Math.max(t.ms, 0.01))));
    if (!o.quick) {
      // warm-up at full size; calibration runs on cold code underestimate, so size again once
      const w = await warmUp(run, n);
      const again = Math.round((n * o.targetMs) / Math.max(w.ms, 0.01));
      if (again > n * 1.25) n = Math.min(plan.nMax, again, n * 4);
    }
  }
  return n;
}

/** The figures of a workload's repetitions, and the cell they make (the median, the spread). */
export class Repetitions {
  private readonly reps: number[] = [];
  private readonly p50s: number[] = [];
  private readonly p99s: number[] = [];

  constructor(
    private readonly target: string,
    private readonly w: WorkloadId,
  ) {}

  add(n: number, t: Timed): void {
    this.reps.push(PLANS[this.w].figure(n, t));
    if (t.latencies !== undefined) {
      this.p50s.push(quantile(t.latencies, 0.5));
      this.p99s.push(quantile(t.latencies, 0.99));
    }
  }

  result(n: number): CellResult {
    const reps = this.reps;
    return {
      target: this.target,
      workload: this.w,
      status: 'ok',
      value: median(reps),
      min: Math.min(...reps),
      max: Math.max(...reps),
      spreadPct: spreadPct(reps),
      reps,
      n,
      ...(this.p50s.length > 0 ? { p50: median(this.p50s), p99: median(this.p99s) } : {}),
    };
  }
}

/**
 * A workload measured in one repetition (failover: it kills members, a few rounds per run):
 * the figure is that run's p50, with its p99; `n` is the number of latencies.
 */
function measureOnce(plan: Plan, t: Timed, target: string, w: WorkloadId): CellResult {
  const lat = t.latencies!;
  if (lat.length === 0) throw new Error(`${w}: the run measured nothing`);
  const value = plan.figure(lat.length, t);
  return {
    target,
    workload: w,
    status: 'ok',
    value,
    min: lat.reduce((a, b) => Math.min(a, b), Infinity),
    max: lat.reduce((a, b) => Math.max(a, b), -Infinity),
    reps: [value],
    n: lat.length,
    p50: value,
    p99: quantile(lat, 0.99),
  };
}

/**
 * What a benchmark target implements: one framework in one mode (tsactor async, comedy
 * threaded, plain postMessage, ...). Each workload method runs one repetition, checks its
 * own result (throwing LostMessagesError when something is missing) and returns the time
 * of its measured part.
 */

export interface Timed {
  /** milliseconds of the measured part */
  readonly ms: number;
  /** per-operation latencies: microseconds (ask latency), milliseconds (failover) */
  readonly latencies?: Float64Array;
  /** bytes per actor (memory) */
  readonly bytesPerActor?: number;
}

export interface TargetImpl {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  pingpong?(n: number): Promise<Timed>;
  counting?(n: number): Promise<Timed>;
  threadring?(hops: number, ringSize: number): Promise<Timed>;
  forkjoin?(perActor: number, actors: number): Promise<Timed>;
  askLatency?(n: number): Promise<Timed>;
  askThroughput?(n: number, window: number): Promise<Timed>;
  spawn?(n: number): Promise<Timed>;
  memory?(n: number): Promise<Timed>;
  /** failover after kill -9 (clusters): one run of several kills, a latency per identity that moved */
  failover?(): Promise<Timed>;
  /**
   * A second target that shares this one's setup (after it), measured interleaved with it:
   * see measurePair. Its id is a target whose `measuredBy` is this one's.
   */
  pair?(): { readonly target: string; readonly impl: TargetImpl };
}

/** A result check failed: messages were lost, duplicated or wrong. */
export class LostMessagesError extends Error {
  override name = 'LostMessagesError';
}

export function expectEqual(what: string, got: unknown, want: unknown): void {
  if (got !== want) throw new LostMessagesError(`${what}: expected ${String(want)}, got ${String(got)}`);
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function now(): number {
  return performance.now();
}

/** A full GC when the process runs with --expose-gc (twice, to collect what finalizers freed). */
export async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('memory workloads need node --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/**
 * Makes `total` asks keeping `window` in flight (`ask(i)` starts ask i) and checks that ask i
 * answers i; times the whole.
 */
export function pipelinedAsks(total: number, window: number, ask: (i: number) => PromiseLike<unknown>): Promise<Timed> {
  const t0 = now();
  return new Promise<Timed>((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let failed = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    const next = (): void => {
      const i = sent++;
      ask(i).then((v) => {
        if (failed) return;
        if (v !== i) {
          fail(new LostMessagesError(`ask ${i} answered ${String(v)}`));
          return;
        }
        answered++;
        if (sent < total) next();
        else if (answered === total) resolve({ ms: now() - t0 });
      }, fail);
    };
    const first = Math.min(window, total);
    if (first === 0) resolve({ ms: 0 });
    for (let i = 0; i < first; i++) next();
  });
}

/**
 * Makes `n` sequential asks (each awaited before the next) and checks that ask i answers i.
 * One clock read per ask: the latency of ask i runs from the end of ask i-1 to its own end.
 */
export async function sequentialAsks(n: number, ask: (i: number) => PromiseLike<unknown>): Promise<Timed> {
  const lat = new Float64Array(n);
  const t0 = now();
  let prev = t0;
  for (let i = 0; i < n; i++) {
    const v = await ask(i);
    const t = now();
    lat[i] = (t - prev) * 1000;
    prev = t;
    if (v !== i) throw new LostMessagesError(`ask ${i} answered ${String(v)}`);
  }
  return { ms: prev - t0, latencies: lat };
}

/**
 * Tells across processes come in rounds of at most this many per actor, the count taken
 * after each: tsactor's transports bound what they buffer per peer (16 MiB by default) and
 * drop tells beyond it as dead letters, so a sender that sends millions waits for its
 * receiver now and then, as an application's would.
 */
export const TELL_ROUND = 100_000;

/**
 * Sends `perActor` tells to each of `actors.length` actors (`tell(k)` sends one to actor k),
 * in rounds of at most `round` per actor, taking every actor's count (`take(k)`, which starts
 * it again from 0) after each round; returns each actor's total.
 */
export async function tellInRounds(
  perActor: number,
  actors: number,
  round: number,
  tell: (k: number) => void,
  take: (k: number) => PromiseLike<number>,
): Promise<number[]> {
  const totals = new Array<number>(actors).fill(0);
  for (let done = 0; done < perActor || done === 0;) {
    const end = Math.min(perActor, done + round);
    for (let i = done; i < end; i++) for (let k = 0; k < actors; k++) tell(k);
    const counts = await Promise.all(totals.map((_, k) => take(k)));
    counts.forEach((c, k) => (totals[k]! += c));
    done = end;
    if (perActor === 0) break;
  }
  return totals;
}

/**
 * The counting workload on one counter: `n` tells (`tell`) in rounds of at most `round`, the
 * count taken (`take`) after each, which must add up to `n`.
 */
export async function countTo(n: number, round: number, tell: () => void, take: () => PromiseLike<number>): Promise<Timed> {
  const t0 = now();
  let got: number;
  if (round >= n) {
    // one round: a plain loop, as the bare loop's own
    for (let i = 0; i < n; i++) tell();
    got = await take();
  } else [got] = (await tellInRounds(n, 1, round, tell, take)) as [number];
  const ms = now() - t0;
  expectEqual('count', got, n);
  return { ms };
}

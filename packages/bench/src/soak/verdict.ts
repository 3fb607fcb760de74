/**
 * The soak run's verdict: memory is flat when no long-lived process's RSS or heap (after a
 * full GC) grew by more than the allowed fraction from the end of warm-up to the end.
 */

/** One memory sample of one process (or worker thread), seconds since the run began. */
export interface SoakSample {
  readonly t: number;
  /** 'soak' (the orchestrator), 'driver', 'driver/worker N', 'peer 1', 'peer 2', … */
  readonly proc: string;
  /** bytes; absent for worker threads (they share their process's RSS) */
  readonly rss?: number;
  readonly heapUsed: number;
}

export type Metric = 'rss' | 'heapUsed';

/** The growth of one series from the end of warm-up to the end of the run. */
export interface Growth {
  readonly proc: string;
  readonly metric: Metric;
  /** bytes: medians of the samples just after warm-up and of the last samples */
  readonly start: number;
  readonly end: number;
  /** (end - start) / start */
  readonly growth: number;
  /** true when judged against the bound (the process lived through the whole measured part) */
  readonly judged: boolean;
}

export interface Verdict {
  /** 'flat': every judged series within the bound; 'growing': one or more beyond it;
   * 'inconclusive': too few samples after warm-up to say */
  readonly result: 'flat' | 'growing' | 'inconclusive';
  readonly maxGrowth: number;
  readonly growths: readonly Growth[];
  readonly reason: string;
}

/**
 * Samples per window: the end-of-warm-up value and the end value are each a median of this
 * many; a run with fewer than twice as many samples after warm-up is too short to judge.
 */
export const WINDOW = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Judges the samples. `warmT` and `endT` are the end of warm-up and of the run (s); a
 * process is judged when it has samples from before `warmT` + 1 s to after `endT` - 2 s;
 * others (a peer that was restarted) are reported but not judged.
 */
export function judge(samples: readonly SoakSample[], warmT: number, endT: number, bound = 0.1): Verdict {
  const procs = [...new Set(samples.map((s) => s.proc))];
  const growths: Growth[] = [];
  let short = '';
  for (const proc of procs) {
    const mine = samples.filter((s) => s.proc === proc).sort((a, b) => a.t - b.t);
    const after = mine.filter((s) => s.t >= warmT);
    const first = mine[0]!;
    const last = mine[mine.length - 1]!;
    const judged = first.t <= warmT + 1 && last.t >= endT - 2;
    if (after.length < 2 * WINDOW) {
      if (judged) short ||= `${proc} has ${after.length} sample(s) after warm-up, ${2 * WINDOW} needed`;
      if (after.length < 2) continue;
    }
    const k = Math.min(WINDOW, Math.floor(after.length / 2));
    for (const metric of ['rss', 'heapUsed'] as const) {
      const values = after.map((s) => s[metric]);
      if (values.some((v) => v === undefined)) continue;
      const v = values as number[];
      const start = median(v.slice(0, k));
      const end = median(v.slice(-k));
      growths.push({ proc, metric, start, end, growth: (end - start) / start, judged });
    }
  }
  const judgedGrowths = growths.filter((g) => g.judged);
  const maxGrowth = judgedGrowths.reduce((m, g) => Math.max(m, g.growth), -Infinity);
  if (short !== '' || judgedGrowths.length === 0) {
    return {
      result: 'inconclusive',
      maxGrowth: judgedGrowths.length === 0 ? 0 : maxGrowth,
      growths,
      reason: short || 'no process lived through the measured part of the run',
    };
  }
  const worst = judgedGrowths.find((g) => g.growth === maxGrowth)!;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return maxGrowth <= bound
    ? {
        result: 'flat',
        maxGrowth,
        growths,
        reason: `largest growth after warm-up ${pct(maxGrowth)} (${worst.proc} ${worst.metric}), bound ${pct(bound)}`,
      }
    : {
        result: 'growing',
        maxGrowth,
        growths,
        reason: `${worst.proc} ${worst.metric} grew ${pct(maxGrowth)} after warm-up (bound ${pct(bound)})`,
      };
}

/** The shape of the results file. */
import type { WorkloadId } from './workloads';
import type { Family, Framework } from './targets';

export type CellStatus = 'ok' | 'failed' | 'unavailable' | 'unmapped';

export interface CellResult {
  readonly target: string;
  readonly workload: WorkloadId;
  readonly status: CellStatus;
  /** the headline figure: the median over repetitions */
  readonly value?: number;
  readonly min?: number;
  readonly max?: number;
  /** ± half the range, in % of the median */
  readonly spreadPct?: number;
  /** the figure of each repetition */
  readonly reps?: readonly number[];
  /** operations per repetition */
  readonly n?: number;
  /**
   * latencies: ask latency, medians over repetitions of each repetition's p50 and p99 (µs);
   * failover, the p50 and p99 of its one run (ms)
   */
  readonly p50?: number;
  readonly p99?: number;
  /** the targets whose repetitions alternated with this one's (measured under the same conditions) */
  readonly interleavedWith?: readonly string[];
  /** seconds the workload took in all (calibration, warm-up, repetitions, checks) */
  readonly seconds?: number;
  /** why it failed or is not available */
  readonly error?: string;
}

export interface TargetRecord {
  readonly id: string;
  readonly label: string;
  readonly framework: Framework;
  readonly family: Family;
  readonly note: string;
  readonly available: boolean;
  readonly reason?: string;
}

export interface RatioGoal {
  readonly name: string;
  readonly ours: string;
  /** absent: the goal is only its `extra` bound */
  readonly peer?: string;
  readonly workload: WorkloadId;
  /** ours / peer for throughputs, peer / ours for latencies */
  readonly ratio: number | null;
  /** the goal on the ratio (>=) */
  readonly goal: number;
  readonly met: boolean | null;
  /** an extra bound, e.g. bytes per idle actor */
  readonly extra?: { readonly what: string; readonly value: number | null; readonly max: number; readonly met: boolean | null };
  readonly why?: string;
}

export interface Meta {
  readonly date: string;
  readonly quick: boolean;
  readonly reps: number;
  readonly targetMs: number;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly commit: string | null;
  readonly durationS: number;
}

export interface Results {
  readonly meta: Meta;
  readonly targets: readonly TargetRecord[];
  readonly cells: readonly CellResult[];
  readonly goals: readonly RatioGoal[];
}

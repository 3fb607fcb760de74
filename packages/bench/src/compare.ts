/**
 * `pnpm bench --compare [FILE]`: the change of every figure from a saved run (by default
 * packages/bench/baseline.json, the last full run) to this one, per workload and target,
 * flagging the changes larger than the noise of the two runs (the ± of each figure added).
 */
import type { CellResult, Results } from './results';
import { WORKLOADS, workloadInfo, type WorkloadId } from './workloads';
import { fmt } from './stats';

export type ChangeFlag = 'regression' | 'improved' | 'within noise' | 'failed' | 'new' | 'not run';

/** One figure before and after. */
export interface Change {
  readonly target: string;
  readonly workload: WorkloadId;
  readonly before: number | null;
  readonly after: number | null;
  /** (after - before) / before, in % of the figure (for latency and memory, + is worse) */
  readonly changePct: number | null;
  /** the ± of the two figures added, in % */
  readonly noisePct: number | null;
  readonly flag: ChangeFlag;
}

function ok(c: CellResult | undefined): c is CellResult & { value: number } {
  return c !== undefined && c.status === 'ok' && c.value !== undefined;
}

/** Compares every cell of `after` with the same target and workload in `before`. */
export function compareResults(before: Results, after: Results): Change[] {
  const out: Change[] = [];
  const order = new Map(WORKLOADS.map((w, i) => [w.id, i]));
  const cells = [...after.cells]
    .filter((c) => c.status !== 'unmapped' && c.status !== 'unavailable')
    .sort((a, b) => order.get(a.workload)! - order.get(b.workload)!);
  for (const a of cells) {
    const b = before.cells.find((x) => x.target === a.target && x.workload === a.workload);
    const base = { target: a.target, workload: a.workload, before: ok(b) ? b.value : null, after: ok(a) ? a.value : null };
    if (!ok(a)) {
      out.push({ ...base, changePct: null, noisePct: null, flag: 'failed' });
      continue;
    }
    if (!ok(b)) {
      out.push({ ...base, changePct: null, noisePct: null, flag: b?.status === 'failed' ? 'improved' : 'new' });
      continue;
    }
    const changePct = ((a.value - b.value) / b.value) * 100;
    const noisePct = (a.spreadPct ?? 0) + (b.spreadPct ?? 0);
    const better = workloadInfo(a.workload).higherIsBetter ? changePct : -changePct;
    const flag: ChangeFlag = Math.abs(changePct) <= noisePct ? 'within noise' : better < 0 ? 'regression' : 'improved';
    out.push({ ...base, changePct, noisePct, flag });
  }
  for (const b of before.cells) {
    if (ok(b) && !after.cells.some((x) => x.target === b.target && x.workload === b.workload)) {
      out.push({ target: b.target, workload: b.workload, before: b.value, after: null, changePct: null, noisePct: null, flag: 'not run' });
    }
  }
  return out;
}

/** The comparison as lines of text, regressions marked. */
export function compareText(changes: readonly Change[], before: Results, after: Results, beforeName: string): string[] {
  const lines = [
    `change from ${beforeName} (${before.meta.quick ? 'quick' : 'full'} run of ${before.meta.date.slice(0, 16)}${before.meta.commit ? `, ${before.meta.commit.slice(0, 10)}` : ''}) ` +
      `to this run (${after.meta.date.slice(0, 16)}); noise = the ± of both figures added:`,
  ];
  const figure = (v: number | null): string => (v === null ? '—' : fmt(v));
  for (const c of changes) {
    if (c.flag === 'not run') continue;
    const w = workloadInfo(c.workload);
    const change = c.changePct === null ? '' : `${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}%`;
    const noise = c.noisePct === null ? '' : `±${c.noisePct.toFixed(0)}%`;
    const mark = c.flag === 'regression' || c.flag === 'failed' ? `** ${c.flag.toUpperCase()} **` : c.flag;
    lines.push(
      `  ${w.title.padEnd(21)} ${c.target.padEnd(22)} ${figure(c.before).padStart(7)} → ${figure(c.after).padStart(7)} ${w.unit.padEnd(14)} ${change.padStart(8)} ${noise.padStart(6)}  ${mark}`,
    );
  }
  const notRun = changes.filter((c) => c.flag === 'not run').length;
  if (notRun > 0) lines.push(`  (${notRun} figure(s) of ${beforeName} not measured in this run)`);
  const bad = changes.filter((c) => c.flag === 'regression' || c.flag === 'failed').length;
  lines.push(bad === 0 ? 'no regression beyond the noise' : `${bad} figure(s) worse beyond the noise, or failed`);
  return lines;
}

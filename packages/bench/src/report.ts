/**
 * Turns results into the goals table, a Markdown report, the README's Performance section
 * and an SVG chart (log scale, ours beside the peers').
 */
import { FAMILIES, type Family, type Framework } from './targets';
import { WORKLOADS, workloadInfo, type WorkloadId } from './workloads';
import type { CellResult, RatioGoal, Results, TargetRecord } from './results';
import { fmt } from './stats';

interface GoalSpec {
  readonly name: string;
  readonly ours: string;
  /** the target compared with (none: the goal is only the `extra` bound) */
  readonly peer?: string;
  readonly workload: WorkloadId;
  readonly goal: number;
  /** a bound on a figure: the value (or its p99) at most `max` */
  readonly extra?: {
    readonly what: string;
    readonly target: string;
    readonly workload: WorkloadId;
    readonly max: number;
    readonly p99?: boolean;
  };
}

/** Latencies: a goal of "ours at most k× theirs" is a ratio (theirs ÷ ours) of at least 1/k. */
const atMost = (k: number): number => 1 / k;

export const GOALS: readonly GoalSpec[] = [
  { name: 'async counting ≥ 10× comedy in-memory', ours: 'tsactor-async', peer: 'comedy-memory', workload: 'counting', goal: 10 },
  { name: 'async pingpong ≥ 10× comedy in-memory', ours: 'tsactor-async', peer: 'comedy-memory', workload: 'pingpong', goal: 10 },
  {
    name: 'async sequential asks (p50) ≥ 5× comedy in-memory',
    ours: 'tsactor-async',
    peer: 'comedy-memory',
    workload: 'ask-latency',
    goal: 5,
  },
  {
    name: 'async spawn ≥ 10× comedy in-memory, ≤ 400 bytes per idle actor',
    ours: 'tsactor-async',
    peer: 'comedy-memory',
    workload: 'spawn',
    goal: 10,
    extra: { what: 'bytes per idle actor', target: 'tsactor-async', workload: 'memory', max: 400 },
  },
  { name: 'async counting ≥ 0.9× the bare loop', ours: 'tsactor-async', peer: 'baseline-loop', workload: 'counting', goal: 0.9 },
  { name: 'async pingpong ≥ 0.9× the bare loop', ours: 'tsactor-async', peer: 'baseline-loop', workload: 'pingpong', goal: 0.9 },
  { name: 'threads counting ≥ 20× comedy threaded', ours: 'tsactor-threads', peer: 'comedy-threaded', workload: 'counting', goal: 20 },
  {
    name: 'threads sequential asks (p50) ≤ 1.1× bare postMessage',
    ours: 'tsactor-threads',
    peer: 'baseline-postmessage',
    workload: 'ask-latency',
    goal: atMost(1.1),
  },
  { name: 'gRPC tells (counting) ≥ 5× comedy remote', ours: 'tsactor-grpc', peer: 'comedy-remote', workload: 'counting', goal: 5 },
  { name: 'gRPC pipelined asks ≥ 5× comedy remote', ours: 'tsactor-grpc', peer: 'comedy-remote', workload: 'ask-throughput', goal: 5 },
  { name: 'gRPC pingpong ≥ 1.0× comedy remote', ours: 'tsactor-grpc', peer: 'comedy-remote', workload: 'pingpong', goal: 1 },
  {
    name: 'gRPC sequential asks (p50) ≥ 1.0× comedy remote',
    ours: 'tsactor-grpc',
    peer: 'comedy-remote',
    workload: 'ask-latency',
    goal: 1,
  },
  { name: 'gRPC pingpong ≥ 0.95× bare grpc-js', ours: 'tsactor-grpc', peer: 'baseline-grpc', workload: 'pingpong', goal: 0.95 },
  {
    name: 'gRPC sequential asks (p50) ≥ 0.95× bare grpc-js',
    ours: 'tsactor-grpc',
    peer: 'baseline-grpc',
    workload: 'ask-latency',
    goal: 0.95,
  },
  {
    name: 'virtual actor tells (counting) within 10% of a remote proxy',
    ours: 'tsactor-cluster',
    peer: 'tsactor-cluster-plain',
    workload: 'counting',
    goal: 0.9,
  },
  {
    name: 'virtual actor pipelined asks within 10% of a remote proxy',
    ours: 'tsactor-cluster',
    peer: 'tsactor-cluster-plain',
    workload: 'ask-throughput',
    goal: 0.9,
  },
  {
    name: 'cluster failover after kill -9 ≤ 2 s (p99)',
    ours: 'tsactor-cluster',
    workload: 'failover',
    goal: 0,
    extra: { what: 'ms (p99)', target: 'tsactor-cluster', workload: 'failover', max: 2000, p99: true },
  },
  { name: 'AMQP tells (counting) ≥ 80% of plain amqplib', ours: 'tsactor-amqp', peer: 'baseline-amqp', workload: 'counting', goal: 0.8 },
];

function cellOf(cells: readonly CellResult[], target: string, w: WorkloadId): CellResult | undefined {
  return cells.find((c) => c.target === target && c.workload === w);
}

/** ours relative to peer, oriented so that > 1 means ours is better. */
export function ratio(cells: readonly CellResult[], ours: string, peer: string, w: WorkloadId): number | null {
  const a = cellOf(cells, ours, w);
  const b = cellOf(cells, peer, w);
  if (a?.status !== 'ok' || b?.status !== 'ok' || a.value === undefined || b.value === undefined) return null;
  return workloadInfo(w).higherIsBetter ? a.value / b.value : b.value / a.value;
}

function whyMissing(cells: readonly CellResult[], targets: readonly TargetRecord[], id: string, w: WorkloadId): string {
  const t = targets.find((x) => x.id === id);
  if (t === undefined) return `${id} was not run`;
  if (!t.available) return `${t.label} not available: ${t.reason ?? '?'}`;
  const c = cellOf(cells, id, w);
  if (c === undefined) return `${t.label}: ${w} not run`;
  if (c.status === 'failed') return `${t.label} failed: ${c.error ?? '?'}`;
  if (c.status === 'unmapped') return `${t.label} has no ${w}`;
  return '';
}

export function evaluateGoals(cells: readonly CellResult[], targets: readonly TargetRecord[]): RatioGoal[] {
  return GOALS.map((g) => {
    const r = g.peer === undefined ? null : ratio(cells, g.ours, g.peer, g.workload);
    let met: boolean | null = g.peer === undefined ? true : r === null ? null : r >= g.goal;
    let extra: RatioGoal['extra'];
    const why: string[] = [];
    if (r === null && g.peer !== undefined) {
      why.push(whyMissing(cells, targets, g.ours, g.workload) || whyMissing(cells, targets, g.peer, g.workload));
    }
    if (g.extra !== undefined) {
      const c = cellOf(cells, g.extra.target, g.extra.workload);
      const figure = g.extra.p99 === true ? c?.p99 : c?.value;
      const v = c?.status === 'ok' && figure !== undefined ? figure : null;
      const ok = v === null ? null : v <= g.extra.max;
      extra = { what: g.extra.what, value: v, max: g.extra.max, met: ok };
      if (ok === false) met = false;
      if (ok === null) {
        met = null;
        why.push(whyMissing(cells, targets, g.extra.target, g.extra.workload));
      }
    }
    return {
      name: g.name,
      ours: g.ours,
      peer: g.peer,
      workload: g.workload,
      ratio: r,
      goal: g.goal,
      met,
      extra,
      why: why.filter(Boolean).join('; ') || undefined,
    };
  });
}

const QUICK_NOTE =
  '> Quick run: short repetitions without warm-up at full size. The figures are rough, those of slow cross-process targets ' +
  '(whose first messages are slow) especially; take figures and ratios from a full run.';

function cellText(c: CellResult | undefined, t: TargetRecord | undefined): string {
  if (t !== undefined && !t.available) return 'n/a';
  if (c === undefined || c.status === 'unmapped') return '—';
  if (c.status === 'failed') return '**failed**';
  if (c.status === 'unavailable') return 'n/a';
  const v = c.value!;
  const spread = c.spreadPct !== undefined && c.spreadPct >= 0.5 ? ` ±${c.spreadPct.toFixed(0)}%` : '';
  if (c.workload === 'ask-latency' || c.workload === 'failover') return `${fmt(v)}${spread} (p99 ${fmt(c.p99 ?? NaN)})`;
  return `${fmt(v)}${spread}`;
}

function ratioText(r: number | null): string {
  if (r === null) return '';
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

function goalRows(goals: readonly RatioGoal[]): string[] {
  const lines = ['| target | measured | met |', '| --- | --- | --- |'];
  for (const g of goals) {
    const parts = g.peer === undefined ? [] : [g.ratio === null ? 'not measured' : ratioText(g.ratio)];
    if (g.extra !== undefined) parts.push(`${g.extra.value === null ? '?' : fmt(g.extra.value)} ${g.extra.what}`);
    const measured = parts.join('; ');
    const met = g.met === null ? `not measured${g.why ? ` (${g.why})` : ''}` : g.met ? 'yes' : `**no**${shortfall(g)}`;
    lines.push(`| ${g.name} | ${measured} | ${met} |`);
  }
  return lines;
}

function shortfall(g: RatioGoal): string {
  const parts: string[] = [];
  if (g.ratio !== null && g.ratio < g.goal) parts.push(`${((1 - g.ratio / g.goal) * 100).toFixed(0)}% short of ${ratioText(g.goal)}`);
  if (g.extra !== undefined && g.extra.met === false && g.extra.value !== null)
    parts.push(`${fmt(g.extra.value)} > ${g.extra.max} ${g.extra.what}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function familyTable(res: Results, family: Family): string[] | null {
  const ts = res.targets.filter((t) => t.family === family);
  if (ts.length === 0) return null;
  const ours = ts.find((t) => t.framework === 'tsactor');
  const peers = ts.filter((t) => t.framework !== 'tsactor');
  const head = ['workload', 'unit', ...ts.map((t) => t.label), ...(ours ? peers.map((p) => `${ours.label} ÷ ${p.label}`) : [])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`];
  for (const w of WORKLOADS) {
    const cells = ts.map((t) => cellOf(res.cells, t.id, w.id));
    if (cells.every((c) => c === undefined || c.status === 'unmapped')) continue;
    const row = [w.title, w.unit, ...ts.map((t, i) => cellText(cells[i], t))];
    if (ours) for (const p of peers) row.push(ratioText(ratio(res.cells, ours.id, p.id, w.id)));
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines;
}

function machineLine(res: Results): string {
  const m = res.meta;
  return `${m.cpus} cores (${m.cpuModel}), ${m.memGiB.toFixed(0)} GiB, Node ${m.node} on ${m.platform}`;
}

function runLine(res: Results): string {
  const m = res.meta;
  return (
    `${m.quick ? 'quick run' : 'full run'} on ${m.date}: ${m.reps} repetitions of ~${m.targetMs} ms per figure (median shown, ± half the range), ` +
    `load average ${m.loadBefore.map((x) => x.toFixed(2)).join('/')} before and ${m.loadAfter.map((x) => x.toFixed(2)).join('/')} after, ` +
    `${Math.round(m.durationS)} s in all${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ''}`
  );
}

export function toMarkdown(res: Results): string {
  const out: string[] = [];
  out.push('# tsactor benchmarks', '');
  out.push(`Machine: ${machineLine(res)}.`, '');
  out.push(`Run: ${runLine(res)}.`, '');
  if (res.meta.quick) out.push(QUICK_NOTE, '');
  out.push('## Targets', '', ...goalRows(res.goals), '');
  for (const f of FAMILIES) {
    const table = familyTable(res, f.id);
    if (table === null) continue;
    out.push(`## ${f.title}`, '', ...table, '');
    for (const t of res.targets.filter((x) => x.family === f.id)) {
      out.push(`- **${t.label}**: ${t.note}${t.available ? '' : ` — not available: ${t.reason}`}`);
    }
    out.push('');
  }
  const failed = res.cells.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    out.push('## Failures', '');
    for (const c of failed) out.push(`- ${c.target} / ${c.workload}: ${c.error}`);
    out.push('');
  }
  out.push('## Workloads', '');
  for (const w of WORKLOADS) out.push(`- **${w.title}** (${w.unit}): ${w.description}.`);
  out.push(
    '',
    'Ratios are ours ÷ theirs for throughputs and theirs ÷ ours for latency and memory, so > 1× always means tsactor is ahead. ' +
      '"—" means the workload does not map onto that mode; "n/a" that the target is not available in this checkout; ' +
      'a **failed** cell lost or mis-ordered messages, or stalled, and has no figure.',
    '',
  );
  return out.join('\n');
}

/** The README's Performance section. */
export function toReadmeSection(res: Results): string {
  const out: string[] = [];
  out.push('## Performance', '');
  out.push(
    'Measured by `pnpm bench` (packages/bench), a Savina-style suite that runs every workload over every runtime and transport of tsactor, ' +
      'beside comedy and nact and bare baselines of each medium, in one invocation. ' +
      (res.cells.some((c) => c.interleavedWith !== undefined && c.interleavedWith.length > 0)
        ? 'The targets compared in a table run together: each workload in turn, its repetitions interleaved across their processes (in reverse order every other round, so that no target always runs first or after the same neighbour), so that a ratio compares figures taken under the same conditions (memory and failover run one target at a time). '
        : '') +
      'Before its repetitions, a target runs the workload for at least 10,000 operations (or 2 s): V8 optimizes code by how often it ran, and smaller repetitions would measure that. ' +
      'Every repetition starts with an empty young generation (a minor GC in its process before it), so that its figure does not depend on the garbage the one before left. ' +
      'Every workload checks its own result; a run that loses messages is reported as a failure, not a figure.',
    '',
  );
  out.push(`Machine: ${machineLine(res)}.`, '', `Run: ${runLine(res)}.`, '');
  out.push('### Targets', '', ...goalRows(res.goals), '');
  for (const f of FAMILIES) {
    const table = familyTable(res, f.id);
    if (table === null) continue;
    out.push(`### ${f.title}`, '', ...table, '');
  }
  out.push(
    'Ratios: > 1× means tsactor is ahead (ours ÷ theirs for throughputs, theirs ÷ ours for latency and memory). ' +
      'Full tables, workload definitions and the chart: packages/bench/results/ (results.md, results.json, results.svg).',
    '',
  );
  return out.join('\n');
}

/** The colour of each framework in the charts. */
export const COLORS: Record<Framework, string> = {
  tsactor: '#1f6feb',
  comedy: '#d97706',
  nact: '#16a34a',
  baseline: '#6b7280',
};

/** Escapes text for SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A horizontal bar chart per workload, each on its own log axis. */
export function toSvg(res: Results): string {
  const width = 900;
  const labelW = 190;
  const valueW = 90;
  const plotW = width - labelW - valueW - 20;
  const barH = 14;
  const gap = 4;
  const parts: string[] = [];
  let y = 40;
  parts.push(
    `<text x="10" y="22" font-size="15" font-weight="bold">tsactor beside comedy, nact and bare baselines (log scale; ${esc(res.meta.quick ? 'quick run' : 'full run')}, ${esc(res.meta.date.slice(0, 10))}, ${res.meta.cpus} cores, Node ${esc(res.meta.node)})</text>`,
  );
  const order = FAMILIES.flatMap((f) => res.targets.filter((t) => t.family === f.id));
  for (const w of WORKLOADS) {
    const rows = order
      .map((t) => ({ t, c: cellOf(res.cells, t.id, w.id) }))
      .filter(
        (r): r is { t: TargetRecord; c: CellResult } =>
          r.c !== undefined && r.c.status !== 'unmapped' && r.c.status !== 'unavailable' && r.t.available,
      );
    if (rows.length === 0) continue;
    const values = rows.filter((r) => r.c.status === 'ok' && r.c.value! > 0).map((r) => r.c.value!);
    y += 14;
    parts.push(
      `<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(w.title)} — ${esc(w.unit)}${w.higherIsBetter ? ' (higher is better)' : ' (lower is better)'}</text>`,
    );
    y += 8;
    const lo = values.length > 0 ? Math.pow(10, Math.floor(Math.log10(Math.min(...values)))) : 1;
    const hi = values.length > 0 ? Math.pow(10, Math.ceil(Math.log10(Math.max(...values)) + 1e-9)) : 10;
    const decades = Math.max(1, Math.round(Math.log10(hi / lo)));
    const x = (v: number): number => labelW + (Math.log10(v / lo) / decades) * plotW;
    const top = y;
    for (const { t, c } of rows) {
      parts.push(`<text x="${labelW - 6}" y="${y + barH - 3}" font-size="11" text-anchor="end">${esc(t.label)}</text>`);
      if (c.status === 'ok' && c.value! > 0) {
        const w2 = Math.max(1, x(c.value!) - labelW);
        parts.push(`<rect x="${labelW}" y="${y}" width="${w2.toFixed(1)}" height="${barH}" fill="${COLORS[t.framework]}"/>`);
        parts.push(`<text x="${(labelW + w2 + 4).toFixed(1)}" y="${y + barH - 3}" font-size="11">${esc(fmt(c.value!))}</text>`);
      } else {
        const what = c.status === 'failed' ? 'FAILED (lost messages or stalled)' : 'n/a';
        parts.push(`<text x="${labelW + 4}" y="${y + barH - 3}" font-size="11" fill="#b91c1c">${esc(what)}</text>`);
      }
      y += barH + gap;
    }
    for (let d = 0; d <= decades; d++) {
      const gx = labelW + (d / decades) * plotW;
      parts.push(`<line x1="${gx.toFixed(1)}" y1="${top - 2}" x2="${gx.toFixed(1)}" y2="${y}" stroke="#ccc" stroke-width="0.5"/>`);
      parts.push(
        `<text x="${gx.toFixed(1)}" y="${y + 10}" font-size="9" text-anchor="middle" fill="#555">${esc(fmt(lo * Math.pow(10, d)))}</text>`,
      );
    }
    y += 18;
  }
  const missing = res.targets.filter((t) => !t.available);
  if (missing.length > 0) {
    y += 4;
    parts.push(
      `<text x="10" y="${y}" font-size="11" fill="#b91c1c">not available in this run: ${esc(missing.map((t) => `${t.label} (${t.reason ?? '?'})`).join('; '))}</text>`,
    );
    y += 10;
  }
  let lx = 10;
  y += 6;
  for (const [fw, color] of Object.entries(COLORS)) {
    parts.push(
      `<rect x="${lx}" y="${y}" width="12" height="12" fill="${color}"/><text x="${lx + 16}" y="${y + 10}" font-size="11">${fw}</text>`,
    );
    lx += 110;
  }
  y += 24;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

/**
 * The soak run's chart: RSS and heap (after a full GC) of every process over time, one
 * panel each, with the end of warm-up and the peer's restarts marked. Same style as the
 * benchmark chart (report.ts).
 */
import { COLORS, esc } from '../report';
import type { SoakSample, Verdict } from './verdict';

/** A moment worth marking on the time axis. */
export interface SoakEvent {
  readonly t: number;
  readonly what: string;
}

export interface PlotInput {
  readonly title: string;
  readonly samples: readonly SoakSample[];
  readonly warmT: number;
  readonly endT: number;
  readonly events: readonly SoakEvent[];
  readonly verdict: Verdict;
}

const MB = 2 ** 20;

function colorOf(proc: string): string {
  if (proc === 'driver') return COLORS.tsactor;
  if (proc.startsWith('driver/')) return COLORS.nact;
  if (proc.startsWith('peer')) return COLORS.comedy;
  return COLORS.baseline;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The chart as an SVG document. */
export function soakSvg(p: PlotInput): string {
  const width = 900;
  const left = 60;
  const right = 190;
  const plotW = width - left - right;
  const panelH = 220;
  const parts: string[] = [];
  const tMax = Math.max(p.endT, ...p.samples.map((s) => s.t), 1);
  const x = (t: number): number => left + (t / tMax) * plotW;
  const verdictColor = p.verdict.result === 'flat' ? '#15803d' : p.verdict.result === 'growing' ? '#b91c1c' : '#92400e';
  parts.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  parts.push(
    `<text x="10" y="40" font-size="12" fill="${verdictColor}">verdict: ${esc(p.verdict.result)} — ${esc(p.verdict.reason)}</text>`,
  );
  const procs = [...new Set(p.samples.map((s) => s.proc))];
  let y0 = 60;
  for (const metric of ['rss', 'heapUsed'] as const) {
    const title = metric === 'rss' ? 'RSS (MiB)' : 'heap used after a full GC (MiB)';
    const values = p.samples.map((s) => s[metric]).filter((v): v is number => v !== undefined);
    const vMax = Math.max(1, ...values) / MB;
    const step = niceStep(vMax, 5);
    const top = Math.ceil((vMax * 1.05) / step) * step;
    const y = (v: number): number => y0 + 16 + panelH - (v / MB / top) * panelH;
    parts.push(`<text x="10" y="${y0 + 8}" font-size="13" font-weight="bold">${esc(title)}</text>`);
    for (let v = 0; v <= top + 1e-9; v += step) {
      const gy = y0 + 16 + panelH - (v / top) * panelH;
      parts.push(`<line x1="${left}" y1="${gy.toFixed(1)}" x2="${left + plotW}" y2="${gy.toFixed(1)}" stroke="#ccc" stroke-width="0.5"/>`);
      parts.push(
        `<text x="${left - 6}" y="${(gy + 3).toFixed(1)}" font-size="9" text-anchor="end" fill="#555">${esc(String(+v.toFixed(2)))}</text>`,
      );
    }
    const bottom = y0 + 16 + panelH;
    const tStep = niceStep(tMax, 8);
    for (let t = 0; t <= tMax + 1e-9; t += tStep) {
      parts.push(
        `<text x="${x(t).toFixed(1)}" y="${bottom + 12}" font-size="9" text-anchor="middle" fill="#555">${esc(String(+t.toFixed(1)))} s</text>`,
      );
    }
    parts.push(
      `<line x1="${x(p.warmT).toFixed(1)}" y1="${y0 + 16}" x2="${x(p.warmT).toFixed(1)}" y2="${bottom}" stroke="#111" stroke-dasharray="4 3"/>`,
    );
    for (const e of p.events) {
      parts.push(
        `<line x1="${x(e.t).toFixed(1)}" y1="${y0 + 16}" x2="${x(e.t).toFixed(1)}" y2="${bottom}" stroke="#b91c1c" stroke-width="0.7" stroke-dasharray="1 2"><title>${esc(e.what)}</title></line>`,
      );
    }
    for (const proc of procs) {
      const pts = p.samples.filter((s) => s.proc === proc && s[metric] !== undefined).sort((a, b) => a.t - b.t);
      if (pts.length === 0) continue;
      const d = pts.map((s) => `${x(s.t).toFixed(1)},${y(s[metric]!).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${d}" fill="none" stroke="${colorOf(proc)}" stroke-width="1.5"><title>${esc(proc)}</title></polyline>`);
    }
    parts.push(`<rect x="${left}" y="${y0 + 16}" width="${plotW}" height="${panelH}" fill="none" stroke="#999" stroke-width="0.5"/>`);
    y0 = bottom + 30;
  }
  // legend
  let ly = 76;
  const legend: Array<[string, string, string]> = [
    ['driver (async, threads, gRPC)', COLORS.tsactor, ''],
    ['driver worker threads', COLORS.nact, ''],
    ['gRPC peer (a line per start)', COLORS.comedy, ''],
    ['soak orchestrator', COLORS.baseline, ''],
    ['end of warm-up', '#111', '4 3'],
    ['peer restart', '#b91c1c', '1 2'],
  ];
  for (const [label, color, dash] of legend) {
    const lx = left + plotW + 12;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${lx + 22}" y="${ly + 4}" font-size="10">${esc(label)}</text>`,
    );
    ly += 16;
  }
  const height = y0;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

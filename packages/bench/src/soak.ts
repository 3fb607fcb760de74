/**
 * `pnpm soak`: sends 10 million messages (tells, asks, asks that time out) across the
 * 'async' runtime, the 'threads' runtime and gRPC to a peer process that is restarted
 * during the run, sampling the memory of every process each second; then judges whether
 * memory stayed flat after warm-up and writes soak.json and soak.svg.
 *
 * Options:
 *   --messages N     messages in all (default 10,000,000; 1e6, 500k and 10M are understood)
 *   --warmup F       fraction of the messages that is warm-up (default 0.2)
 *   --restarts N     restarts of the gRPC peer (default 3)
 *   --threads N      worker threads of the 'threads' host (default 2)
 *   --bound F        allowed growth after warm-up (default 0.1)
 *   --out DIR        where to write (default packages/bench/results for a full-size run, else results/quick)
 *
 * Exit code: 0 when the run completed as designed and memory is flat (or the run was too
 * short to say), 1 when memory grew beyond the bound or an outcome was not as designed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_OPTIONS, runSoak, type SoakOptions, type SoakResult } from './soak/run';
import { soakSvg } from './soak/plot';
import { WINDOW } from './soak/verdict';
import { fmt } from './stats';

/** Reads a count such as 10000000, 10_000_000, 1e7, 500k or 10M. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(s.replace(/_/g, ''));
  const n = m === null ? NaN : Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--messages: expected a positive whole count such as 50000, 1e6 or 10M, got '${s}'`);
  return n;
}

function parseArgs(argv: string[]): { o: SoakOptions; out: string } {
  const o: { -readonly [K in keyof SoakOptions]: SoakOptions[K] } = { ...DEFAULT_OPTIONS };
  let out = '';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${key} needs a value`);
      return v;
    };
    const fraction = (): number => {
      const v = Number(value());
      if (!(v >= 0 && v < 1)) throw new Error(`${key}: expected a fraction from 0 to below 1`);
      return v;
    };
    const whole = (min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new Error(`${key}: expected a whole number ≥ ${min}`);
      return v;
    };
    switch (key) {
      case '--':
        break;
      case '--messages':
        o.messages = parseCount(value());
        break;
      case '--warmup':
        o.warmup = fraction();
        break;
      case '--restarts':
        o.restarts = whole(0);
        break;
      case '--threads':
        o.threads = whole(1);
        break;
      case '--bound':
        o.bound = fraction();
        break;
      case '--out':
        out = value();
        break;
      default:
        throw new Error(`unknown option ${arg}; options: --messages N --warmup F --restarts N --threads N --bound F --out DIR`);
    }
  }
  const results = path.join(__dirname, '..', 'results');
  if (out === '') out = o.messages >= DEFAULT_OPTIONS.messages ? results : path.join(results, 'quick');
  return { o, out };
}

const MiB = 2 ** 20;

/** The lines printed at the end of a run. */
export function summary(r: SoakResult): string[] {
  const lines: string[] = [];
  const d = r.driver;
  if (d !== null) {
    lines.push(
      `sent ${d.sent.toLocaleString('en')} messages in ${r.sendingS.toFixed(1)} s (${fmt(r.rate)} msgs/s): ` +
        Object.entries(d.byKind)
          .map(([k, n]) => `${k} ${n.toLocaleString('en')}`)
          .join(', '),
    );
    for (const [kind, t] of Object.entries(d.tallies)) {
      lines.push(
        `  ${kind.padEnd(8)} ${t.rounds} rounds (${t.lenientRounds} during a restart): ${t.tells.toLocaleString('en')} tells, ${t.asks.toLocaleString('en')} asks: ` +
          `${t.answered.toLocaleString('en')} answered, ${t.timedOut.toLocaleString('en')} timed out as designed, ${t.peerDown} lost with the peer, ${t.unexpected} unexpected`,
      );
    }
    const dl = Object.entries(d.deadLetters);
    lines.push(
      `  dead letters: ${dl.length === 0 ? 'none' : dl.map(([k, n]) => `${k} ${n}`).join(', ')}; errors reported by setErrorHandler: ${d.tellErrors}${d.tellErrorSamples.length > 0 ? ` (${d.tellErrorSamples.join('; ')})` : ''}`,
    );
  }
  for (const x of r.restarts) {
    lines.push(`  peer restart ${x.n} (${x.signal}) at ${x.downT.toFixed(1)} s: answering again after ${x.recoveredMs ?? '?'} ms`);
  }
  lines.push(`memory from the end of warm-up to the end (medians of the first and of the last ${WINDOW} samples):`);
  for (const g of r.verdict.growths) {
    lines.push(
      `  ${(g.proc + ' ' + (g.metric === 'rss' ? 'RSS' : 'heap')).padEnd(26)} ${(g.start / MiB).toFixed(1).padStart(7)} → ${(g.end / MiB).toFixed(1).padStart(7)} MiB  ` +
        `${g.growth >= 0 ? '+' : ''}${(g.growth * 100).toFixed(1)}%${g.judged ? '' : '  (not judged: restarted during the run)'}`,
    );
  }
  for (const f of r.failures) lines.push(`FAILED: ${f}`);
  lines.push(`verdict: memory ${r.verdict.result.toUpperCase()} — ${r.verdict.reason}`);
  return lines;
}

async function main(): Promise<void> {
  const { o, out } = parseArgs(process.argv.slice(2));
  process.stdout.write(
    `tsactor soak: ${o.messages.toLocaleString('en')} messages over async, threads and gRPC, ${o.restarts} peer restarts, warm-up ${(o.warmup * 100).toFixed(0)}%\n`,
  );
  const r = await runSoak(o, (l) => process.stdout.write(l + '\n'));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'soak.json'), JSON.stringify(r, null, 1) + '\n');
  const title = `tsactor soak: ${o.messages.toLocaleString('en')} messages, ${r.meta.date.slice(0, 10)}, ${r.meta.cpus} cores, Node ${r.meta.node}`;
  fs.writeFileSync(
    path.join(out, 'soak.svg'),
    soakSvg({ title, samples: r.samples, warmT: r.warmT, endT: r.endT, events: r.events, verdict: r.verdict }),
  );
  for (const l of summary(r)) process.stdout.write(l + '\n');
  process.stdout.write(`written to ${path.relative(process.cwd(), out) || '.'}/soak.{json,svg}\n`);
  process.exitCode = r.failures.length > 0 || r.verdict.result === 'growing' ? 1 : 0;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}

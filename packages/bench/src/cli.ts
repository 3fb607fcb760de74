/**
 * `pnpm bench`: runs every workload over every target, each target in a fresh child
 * process, printing progress; then writes results.json, results.md, performance.md (the
 * README section) and results.svg. The processes of one family (the targets compared with
 * each other) run together: each workload in turn, its repetitions interleaved across them,
 * so that a ratio compares figures taken under the same conditions.
 *
 * Options:
 *   --quick              a run of under a minute (3 short repetitions, no warm-up at full size)
 *   --reps N             repetitions per figure (default 6; quick 3)
 *   --time MS            wanted duration of one repetition (default 400; quick 60)
 *   --targets a,b        only these targets (ids: see --list)
 *   --workloads a,b      only these workloads
 *   --out DIR            where to write (default packages/bench/results, quick: results/quick)
 *   --profile            run each target (and its remote side) under node --cpu-prof (profiles in <out>/profiles/<target>)
 *   --one-by-one         run every target's process alone, one after the other (no interleaving)
 *   --list               list targets and workloads
 *   --from FILE          write the reports again from a results.json (no run)
 *   --compare [FILE]     print the change of every figure from FILE (default: baseline.json, the
 *                        last full run) to this run (or to --from FILE), regressions beyond the noise flagged
 *
 * A full run (not --quick, every target and workload) also writes packages/bench/baseline.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TARGETS, FAMILIES, type TargetInfo } from './targets';
import { WORKLOADS, WORKLOAD_IDS, workloadInfo, type WorkloadId } from './workloads';
import type { CellResult, Results, TargetRecord } from './results';
import { Repetitions, interleavable, roundOrder, type ChildOptions } from './runner';
import { Served } from './served';
import { evaluateGoals, toMarkdown, toReadmeSection, toSvg } from './report';
import { fmt } from './stats';
import { compareResults, compareText } from './compare';

/** The last full run: what `--compare` compares with by default. */
const BASELINE = path.join(__dirname, '..', 'baseline.json');

interface Args {
  quick: boolean;
  reps: number;
  time: number;
  targets: string[];
  workloads: WorkloadId[];
  out: string;
  profile: boolean;
  list: boolean;
  from: string;
  outGiven: boolean;
  /** the saved run to compare with ('' when not comparing) */
  compare: string;
  /** every target's process alone, one after the other (no interleaving within a family) */
  oneByOne: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false,
    reps: 0,
    time: 0,
    targets: TARGETS.map((t) => t.id),
    workloads: [...WORKLOAD_IDS],
    out: '',
    profile: false,
    list: false,
    from: '',
    outGiven: false,
    compare: '',
    oneByOne: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--':
        break;
      case '--quick':
        a.quick = true;
        break;
      case '--reps':
        a.reps = Number(value());
        break;
      case '--time':
        a.time = Number(value());
        break;
      case '--targets':
        a.targets = value().split(',').filter(Boolean);
        for (const t of a.targets) if (!TARGETS.some((x) => x.id === t)) throw new Error(`unknown target '${t}' (see --list)`);
        break;
      case '--workloads':
        a.workloads = value().split(',').filter(Boolean) as WorkloadId[];
        for (const w of a.workloads) workloadInfo(w);
        break;
      case '--out':
        a.out = value();
        a.outGiven = true;
        break;
      case '--profile':
        a.profile = true;
        break;
      case '--list':
        a.list = true;
        break;
      case '--one-by-one':
        a.oneByOne = true;
        break;
      case '--from':
        a.from = value();
        break;
      case '--compare': {
        // the file is optional: the next argument, unless it is an option
        const next = inline ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
        a.compare = next ?? BASELINE;
        break;
      }
      default:
        throw new Error(
          `unknown option ${arg}; options: --quick --reps N --time MS --targets a,b --workloads a,b --out DIR --profile --one-by-one --list --from FILE --compare [FILE]`,
        );
    }
  }
  if (a.reps === 0) a.reps = a.quick ? 3 : 6;
  if (a.time === 0) a.time = a.quick ? 60 : 400;
  if (!(a.reps >= 1) || !(a.time > 0)) throw new Error('--reps and --time must be positive');
  const resultsDir = path.join(__dirname, '..', 'results');
  if (a.out === '') a.out = a.quick ? path.join(resultsDir, 'quick') : resultsDir;
  return a;
}

const isTTY = process.stdout.isTTY;
function line(s: string): void {
  process.stdout.write(s + '\n');
}
function status(s: string): void {
  if (isTTY) process.stdout.write(`\r\x1b[2K${s}`);
}
function clearStatus(): void {
  if (isTTY) process.stdout.write('\r\x1b[2K');
}

function describeCell(c: CellResult): string {
  const w = workloadInfo(c.workload);
  if (c.status === 'failed') return `FAILED  ${c.error}`;
  const spread = c.spreadPct !== undefined ? ` ±${c.spreadPct.toFixed(1)}%` : '';
  const lat =
    c.workload === 'ask-latency'
      ? ` (p99 ${fmt(c.p99!)} µs)`
      : c.workload === 'failover'
        ? `, p99 ${fmt(c.p99!)} ms, max ${fmt(c.max!)} ms`
        : '';
  return `${fmt(c.value!).padStart(7)} ${w.unit}${spread}${lat}  [n=${c.n} ×${c.reps?.length}, ${c.seconds?.toFixed(1)} s]`;
}

interface ChildReport {
  available: boolean;
  reason?: string;
  cells: CellResult[];
}

/** Forks the process of target `t` (child.ts), under the CPU profiler with --profile. */
function forkTarget(t: TargetInfo, opts: ChildOptions, a: Args): ChildProcess {
  const execArgv = [...(t.execArgv ?? ['--expose-gc'])];
  const env: NodeJS.ProcessEnv = { ...process.env, TSACTOR_CONTEXT: '' };
  if (a.profile) {
    const dir = path.join(a.out, 'profiles', t.id);
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    env.TSACTOR_BENCH_REMOTE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}/remote`;
  }
  return fork(path.join(__dirname, 'child.js'), [t.id, JSON.stringify(opts)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
    // a served process sends latencies as Float64Arrays: structured clone keeps them
    serialization: opts.serve === true ? 'advanced' : 'json',
  });
}

/** Prints the line that starts target `t` (and the targets measured in its process). */
function announce(t: TargetInfo, pairs: readonly TargetInfo[], order: { i: number; of: number }): void {
  line(`[${++order.i}/${order.of}] ${[t, ...pairs].map((x) => x.label).join(' + ')}  (${t.note})`);
}

function runTarget(t: TargetInfo, opts: ChildOptions, a: Args, budgetMs: number): Promise<ChildReport> {
  const targetId = t.id;
  return new Promise((resolve) => {
    const child = forkTarget(t, opts, a);
    const report: ChildReport = { available: true, cells: [] };
    let expected: WorkloadId[] = [];
    let current = '';
    let done = false;
    const started = Date.now();
    const ticker = setInterval(() => {
      if (current !== '') status(`    ${current.padEnd(16)} … ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }, 500);
    const timer = setTimeout(() => {
      clearStatus();
      line(`    ${targetId}: no answer within ${Math.round(budgetMs / 1000)} s; killing it`);
      child.kill('SIGKILL');
    }, budgetMs);
    child.on(
      'message',
      (m: {
        type: string;
        available?: boolean;
        reason?: string;
        workloads?: WorkloadId[];
        text?: string;
        result?: CellResult;
        error?: string;
      }) => {
        switch (m.type) {
          case 'target':
            report.available = m.available!;
            report.reason = m.reason;
            expected = m.workloads ?? [];
            if (!m.available) line(`    not available: ${m.reason}`);
            break;
          case 'progress':
            current = m.text ?? '';
            status(`    ${current.padEnd(16)} …`);
            break;
          case 'result':
            clearStatus();
            report.cells.push(m.result!);
            line(
              `    ${(m.result!.target === targetId ? m.result!.workload : `${m.result!.workload} (${m.result!.target})`).padEnd(16)} ${describeCell(m.result!)}`,
            );
            current = '';
            break;
          case 'fatal':
            clearStatus();
            line(`    ${targetId} crashed: ${m.error}`);
            break;
          case 'done':
            done = true;
            break;
        }
      },
    );
    child.on('exit', (code, signal) => {
      clearInterval(ticker);
      clearTimeout(timer);
      clearStatus();
      for (const w of expected) {
        if (!report.cells.some((c) => c.workload === w)) {
          report.cells.push({
            target: targetId,
            workload: w,
            status: 'failed',
            error: `the target's process ended (${signal ?? `exit ${code}`}) before this workload finished`,
          });
        }
      }
      if (!done && report.available && expected.length === 0) {
        report.available = false;
        report.reason = `its process ended (${signal ?? `exit ${code}`}) during setup`;
      }
      resolve(report);
    });
  });
}

/**
 * Runs the targets of one family (several processes) with the repetitions of each workload
 * interleaved across them (a, b, c, c, b, a, a, b, c ...: see roundOrder): each target's figure is taken under the
 * same conditions as the others', not minutes apart. Memory and failover run whole, one
 * target after the other.
 */
async function runFamily(
  group: readonly TargetInfo[],
  chosen: readonly TargetInfo[],
  opts: ChildOptions,
  a: Args,
  budgetMs: number,
  order: { i: number; of: number },
): Promise<Map<string, ChildReport>> {
  const served: Served[] = [];
  const reports = new Map<string, ChildReport>();
  for (const t of group) {
    const pairs = chosen.filter((p) => p.measuredBy === t.id);
    announce(t, pairs, order);
    const s = await Served.start(forkTarget(t, { ...opts, serve: true, pairs: pairs.map((p) => p.id) }, a), t.id, 120_000);
    if (!s.available) line(`    not available: ${s.reason}`);
    served.push(s);
    for (const x of [t, ...pairs]) reports.set(x.id, { available: s.available, reason: s.reason, cells: [] });
  }
  line(`    (the ${group.length} processes above run each workload in turn, their repetitions interleaved)`);
  const stepMs = (opts.quick ? 30 : 150) * 1000;
  const spawnRates = new Map<string, number>();
  const done = (c: CellResult): void => {
    reports.get(c.target)!.cells.push(c);
    if (c.status === 'ok' && c.workload === 'spawn') spawnRates.set(c.target, c.value!);
    line(`    ${c.workload.padEnd(16)} ${targetLabel(c.target).padEnd(24)} ${describeCell(c)}`);
  };
  for (const w of WORKLOAD_IDS) {
    if (!opts.workloads.includes(w)) continue;
    const runs = served.flatMap((s) => (s.available ? [...s.workloads].filter(([, ws]) => ws.includes(w)).map(([id]) => ({ s, id })) : []));
    const started = Date.now();
    const seconds = (): number => (Date.now() - started) / 1000;
    if (!interleavable(w) || runs.length < 2) {
      for (const r of runs) {
        const t0 = Date.now();
        status(`    ${w} … ${r.id}`);
        const cell = await r.s
          .step({ cmd: 'measure', target: r.id, w, spawnRate: spawnRates.get(r.id) }, budgetMs)
          .then((m) => m.result!)
          .catch((e: unknown): CellResult => ({ target: r.id, workload: w, status: 'failed', error: (e as Error).message }));
        clearStatus();
        done({ ...cell, seconds: (Date.now() - t0) / 1000 });
      }
      continue;
    }
    const sizes = new Map<string, number>();
    const failed = new Map<string, string>();
    for (const r of runs) {
      status(`    ${w} … sizing ${r.id}`);
      await r.s
        .step({ cmd: 'size', target: r.id, w }, budgetMs)
        .then((m) => sizes.set(r.id, m.n!))
        .catch((e: unknown) => failed.set(r.id, (e as Error).message));
    }
    const reps = new Map(runs.map((r) => [r.id, new Repetitions(r.id, w)]));
    for (let k = 0; k < opts.reps; k++) {
      for (const r of roundOrder(runs, k)) {
        if (failed.has(r.id)) continue;
        status(`    ${w} … repetition ${k + 1}/${opts.reps} of ${r.id}`);
        const n = sizes.get(r.id)!;
        await r.s
          .step({ cmd: 'rep', target: r.id, w, n }, stepMs)
          .then((m) => reps.get(r.id)!.add(n, m.timed!))
          .catch((e: unknown) => failed.set(r.id, (e as Error).message));
      }
    }
    clearStatus();
    for (const r of runs) {
      const why = failed.get(r.id);
      const interleavedWith = runs.filter((x) => x.id !== r.id && !failed.has(x.id)).map((x) => x.id);
      done(
        why === undefined
          ? { ...reps.get(r.id)!.result(sizes.get(r.id)!), interleavedWith, seconds: seconds() }
          : { target: r.id, workload: w, status: 'failed', error: why, seconds: seconds() },
      );
    }
  }
  for (const s of served) await s.end();
  return reports;
}

function targetLabel(id: string): string {
  return TARGETS.find((t) => t.id === id)?.label ?? id;
}

function writeReports(results: Results, out: string): void {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'results.md'), toMarkdown(results));
  fs.writeFileSync(path.join(out, 'performance.md'), toReadmeSection(results));
  fs.writeFileSync(path.join(out, 'results.svg'), toSvg(results));
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.list) {
    line('targets:');
    for (const f of FAMILIES) for (const t of TARGETS.filter((x) => x.family === f.id)) line(`  ${t.id.padEnd(22)} ${t.note}`);
    line('workloads:');
    for (const w of WORKLOADS) line(`  ${w.id.padEnd(22)} ${w.description}`);
    return;
  }
  // read before the run: a full run writes a new baseline
  const before = a.compare === '' ? null : readResults(a.compare, '--compare');
  if (a.from !== '') {
    const saved = readResults(a.from, '--from');
    const again: Results = { ...saved, goals: evaluateGoals(saved.cells, saved.targets) };
    writeReports(again, a.outGiven ? a.out : path.dirname(a.from));
    line(`reports written again from ${a.from}`);
    if (before !== null) printComparison(before, again, a.compare);
    return;
  }
  const t0 = Date.now();
  const loadBefore = os.loadavg();
  line(
    `tsactor bench: ${a.quick ? 'quick' : 'full'} run, ${a.reps} repetitions of ~${a.time} ms, ${os.cpus().length} cores, Node ${process.versions.node}, load ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const opts: ChildOptions = {
    quick: a.quick,
    reps: a.reps,
    targetMs: a.time,
    workloads: a.workloads,
    memoryActors: a.quick ? 5000 : 20000,
  };
  const budgetMs = (a.quick ? 45 : 600) * 1000;
  const targets: TargetRecord[] = [];
  const cells: CellResult[] = [];
  // a target measured by another runs in that one's process (which runs, then, too)
  const chosen = TARGETS.filter((t) => a.targets.includes(t.id) || TARGETS.some((p) => p.measuredBy === t.id && a.targets.includes(p.id)));
  const runs = chosen.filter((t) => t.measuredBy === undefined);
  // the processes of a family run together, their repetitions interleaved (--one-by-one: each alone)
  const groups = FAMILIES.map((f) => runs.filter((t) => t.family === f.id)).filter((g) => g.length > 0);
  const order = { i: 0, of: runs.length };
  for (const group of groups) {
    let reports: Map<string, ChildReport>;
    const tt = Date.now();
    if (group.length > 1 && !a.oneByOne) {
      reports = await runFamily(group, chosen, opts, a, budgetMs, order);
    } else {
      reports = new Map();
      for (const t of group) {
        const pairs = chosen.filter((p) => p.measuredBy === t.id);
        announce(t, pairs, order);
        const r = await runTarget(t, { ...opts, pairs: pairs.map((p) => p.id) }, a, budgetMs);
        for (const x of [t, ...pairs]) reports.set(x.id, { ...r, cells: r.cells.filter((c) => c.target === x.id) });
      }
    }
    line(`    (${((Date.now() - tt) / 1000).toFixed(1)} s)`);
    for (const x of chosen.filter((c) => group.includes(c) || group.some((g) => c.measuredBy === g.id))) {
      const r = reports.get(x.id)!;
      cells.push(...r.cells);
      targets.push({
        id: x.id,
        label: x.label,
        framework: x.framework,
        family: x.family,
        note: x.note,
        available: r.available,
        reason: r.reason,
      });
      if (r.available) {
        for (const w of a.workloads) {
          if (!r.cells.some((c) => c.target === x.id && c.workload === w)) cells.push({ target: x.id, workload: w, status: 'unmapped' });
        }
      } else {
        for (const w of a.workloads) cells.push({ target: x.id, workload: w, status: 'unavailable', error: r.reason });
      }
    }
  }
  // in the order of the target list (the columns of the tables)
  targets.sort((x, y) => TARGETS.findIndex((t) => t.id === x.id) - TARGETS.findIndex((t) => t.id === y.id));
  const loadAfter = os.loadavg();
  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      quick: a.quick,
      reps: a.reps,
      targetMs: a.time,
      node: process.versions.node,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? '?',
      memGiB: os.totalmem() / 2 ** 30,
      loadBefore,
      loadAfter,
      commit: gitCommit(),
      durationS: (Date.now() - t0) / 1000,
    },
    targets,
    cells,
    goals: evaluateGoals(cells, targets),
  };
  writeReports(results, a.out);
  const full = !a.quick && TARGETS.every((t) => a.targets.includes(t.id)) && WORKLOAD_IDS.every((w) => a.workloads.includes(w));
  if (full) fs.writeFileSync(BASELINE, JSON.stringify(results, null, 2) + '\n');
  line('');
  line('targets:');
  for (const g of results.goals) {
    const r = g.peer === undefined ? '' : g.ratio === null ? 'not measured' : `${g.ratio.toFixed(2)}×`;
    const extra = g.extra ? `${r === '' ? '' : ', '}${g.extra.value === null ? '?' : fmt(g.extra.value)} ${g.extra.what}` : '';
    const verdict = g.met === null ? `—${g.why ? ` (${g.why})` : ''}` : g.met ? 'met' : 'MISSED';
    line(`  ${g.name.padEnd(66)} ${r}${extra}  ${verdict}`);
  }
  const failed = cells.filter((c) => c.status === 'failed');
  if (a.quick) line('  (quick run: rough figures; the ratios of slow cross-process targets especially. Use a full run for figures.)');
  line('');
  line(
    `${failed.length === 0 ? 'no failures' : `${failed.length} failure(s)`}; ${Math.round(results.meta.durationS)} s; written to ${path.relative(process.cwd(), a.out) || '.'}/results.{json,md,svg} and performance.md`,
  );
  if (full) line(`this full run is the new baseline: ${path.relative(process.cwd(), BASELINE)}`);
  if (before !== null) printComparison(before, results, a.compare);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

function readResults(file: string, option: string): Results {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${option} ${file}: cannot read it; give the results.json of a run (or baseline.json, written by every full run)`);
  }
  const r = JSON.parse(text) as Partial<Results>;
  if (!Array.isArray(r.cells) || !Array.isArray(r.targets) || r.meta === undefined) {
    throw new Error(`${option} ${file}: not the results of a bench run (no meta, targets and cells)`);
  }
  return r as Results;
}

function printComparison(before: Results, after: Results, name: string): void {
  line('');
  for (const l of compareText(compareResults(before, after), before, after, path.relative(process.cwd(), name) || name)) line(l);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});

/**
 * Cross-thread tell rate of the 'threads' runtime (not a test: run it on a quiet machine).
 *
 *   npx tsc -b && npx ts-node packages/runtime-threads/bench/tell-rate.ts [--n 1000000] [--runs 5]
 *
 * main -> worker: the main thread tells n numbers to an actor on a worker, then asks it for
 *   its count (handled after every tell), so the time covers sending and handling all.
 * worker -> worker: an actor on worker 0 tells n numbers to an actor on worker 1.
 * same worker: both actors on one worker (the direct path, no serialization).
 * Each is also run with TSACTOR_THREADS_BATCH=1 (one postMessage per message) as the baseline.
 */
import { spawnSync } from 'node:child_process';
import { createHost, setContext, shutdown } from '@tsactor/core/internal';
import { arg, spread } from './setup';
import { Sink, Source } from './actors';

async function once(kind: string, n: number): Promise<number> {
  setContext('threads');
  const h = await createHost(`local://bench-tell:1/host`, { threads: 2, timeout: 600 });
  try {
    const sink = await h.spawn('sink', Sink);
    if (kind === 'main') {
      await sink.count();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink.add(i);
      const c = await sink.count();
      const t = performance.now() - t0;
      if (c !== n) throw new Error(`count ${c} != ${n}`);
      return n / t / 1000;
    }
    // worker 1 gets the sink (slot 0) and then the source (slot 1); for the same-worker case a
    // one-thread host puts both on worker 0
    const source = await h.spawn('source', Source);
    await source.blast(sink, 1); // the source learns where the sink lives
    const t0 = performance.now();
    const c = (await source.blast(sink, n)) - 1;
    const t = performance.now() - t0;
    if (c !== n) throw new Error(`count ${c} != ${n}`);
    return n / t / 1000;
  } finally {
    await shutdown();
  }
}

async function child(kind: string, n: number, runs: number): Promise<void> {
  const rates: number[] = [];
  if (kind === 'same') {
    // one worker: reuse 'worker' code path with a one-thread pool
    for (let r = 0; r < runs; r++) {
      setContext('threads');
      const h = await createHost(`local://bench-tell:1/host`, { threads: 1, timeout: 600 });
      const sink = await h.spawn('sink', Sink);
      const source = await h.spawn('source', Source);
      await source.blast(sink, 1);
      const t0 = performance.now();
      const c = (await source.blast(sink, n)) - 1;
      const t = performance.now() - t0;
      await shutdown();
      if (c !== n) throw new Error(`count ${c} != ${n}`);
      rates.push(n / t / 1000);
    }
  } else {
    for (let r = 0; r < runs; r++) rates.push(await once(kind, n));
  }
  process.stdout.write(JSON.stringify(rates) + '\n');
}

function run(kind: string, n: number, runs: number, batch: string | undefined): number[] {
  const env = { ...process.env };
  if (batch === undefined) delete env.TSACTOR_THREADS_BATCH;
  else env.TSACTOR_THREADS_BATCH = batch;
  const tsNode = process.execArgv.some((a) => a.includes('ts-node')) ? [] : ['-r', require.resolve('ts-node/register/transpile-only')];
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, ...tsNode, __filename, '--child', kind, '--n', String(n), '--runs', String(runs)],
    {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (r.status !== 0) throw new Error(`benchmark ${kind} failed: ${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
}

function fmt(rates: number[]): string {
  const s = spread(rates);
  return `best ${s.best.toFixed(2)} M/s, median ${s.median.toFixed(2)}, worst ${s.worst.toFixed(2)} (${rates.length} runs)`;
}

async function main(): Promise<void> {
  const n = arg('n', 1_000_000);
  const runs = arg('runs', 5);
  const i = process.argv.indexOf('--child');
  if (i >= 0) {
    await child(process.argv[i + 1]!, n, runs);
    return;
  }
  console.log(`cross-thread tells, ${n} per run (M messages/s, sent and handled)`);
  for (const [kind, label] of [
    ['main', 'main -> worker     '],
    ['worker', 'worker -> worker   '],
    ['same', 'same worker        '],
  ] as const) {
    console.log(`${label} batched:              ${fmt(run(kind, n, runs, undefined))}`);
    if (kind !== 'same') console.log(`${label} one post per message: ${fmt(run(kind, Math.min(n, 300_000), runs, '1'))}`);
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

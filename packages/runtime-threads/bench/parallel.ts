/**
 * Real parallelism of the 'threads' runtime (not a test: run it on a quiet machine).
 *
 *   npx tsc -b && npx ts-node packages/runtime-threads/bench/parallel.ts [--iterations 150000000] [--runs 5]
 *
 * Two actors each do the same CPU-bound job (an integer loop), started together; the time
 * until both answered is measured under 'async' (both on the event loop, one after the
 * other) and under 'threads' with two workers (one actor each). Actors are spawned and warmed
 * up before the clock starts. Runs alternate between the contexts; the speed-up of each pair
 * of runs is async time / threads time.
 */
import * as os from 'node:os';
import { createHost, setContext, shutdown } from '@tsactor/core/internal';
import { arg, spread } from './setup';
import { Cruncher } from './actors';

async function timeBoth(context: 'async' | 'threads', iterations: number): Promise<number> {
  setContext(context);
  const h = await createHost(`local://bench-parallel:1/host`, { threads: 2, timeout: 600 });
  try {
    const a = await h.spawn('a', Cruncher);
    const b = await h.spawn('b', Cruncher);
    await Promise.all([a.crunch(1_000_000), b.crunch(1_000_000)]); // warm up (and the JIT)
    const t0 = performance.now();
    const [x, y] = await Promise.all([a.crunch(iterations), b.crunch(iterations)]);
    const t = performance.now() - t0;
    if (x !== y) throw new Error('the two jobs disagree');
    return t;
  } finally {
    await shutdown();
  }
}

async function main(): Promise<void> {
  const iterations = arg('iterations', 150_000_000);
  const runs = arg('runs', 5);
  console.log(`two actors, ${iterations} loop iterations each, ${os.availableParallelism()} cores`);
  const speedups: number[] = [];
  for (let r = 0; r < runs; r++) {
    const tAsync = await timeBoth('async', iterations);
    const tThreads = await timeBoth('threads', iterations);
    speedups.push(tAsync / tThreads);
    console.log(
      `run ${r + 1}: async ${tAsync.toFixed(0)} ms, threads ${tThreads.toFixed(0)} ms, speed-up ${(tAsync / tThreads).toFixed(2)}x`,
    );
  }
  const s = spread(speedups);
  console.log(`speed-up: best ${s.best.toFixed(2)}x, median ${s.median.toFixed(2)}x, worst ${s.worst.toFixed(2)}x`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * Runs every workload of one target in this (fresh) process and reports to the parent over
 * IPC: {type:'target', available, reason, workloads}, then {type:'progress'} and
 * {type:'result'} per workload. Usage (by cli.js): node --expose-gc child.js TARGET OPTIONS_JSON
 */
import { targetInfo } from './targets';
import { WORKLOADS } from './workloads';
import type { CellResult } from './results';
import { PLANS, measure, measurePair, withTimeout, type ChildOptions } from './runner';

export type { ChildOptions };

function send(msg: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, undefined, () => resolve()));
}

function progress(text: string): void {
  void send({ type: 'progress', text });
}

async function main(): Promise<void> {
  const targetId = process.argv[2]!;
  const o = JSON.parse(process.argv[3]!) as ChildOptions;
  const info = targetInfo(targetId);
  const reason = await info.unavailable().catch((e: unknown) => `cannot check: ${String(e)}`);
  if (reason !== null) {
    await send({ type: 'target', available: false, reason, workloads: [] });
    process.exit(0);
  }
  // comedy adds an exit listener per child process or thread it starts
  process.setMaxListeners(100);
  const impl = await info.load();
  const supported = o.workloads.filter((w) => typeof impl[PLANS[w].method] === 'function');
  await send({ type: 'target', available: true, workloads: supported });
  await withTimeout(impl.setup(), 60_000, 'setup');
  // a target measured with this one (interleaved), when it was asked for
  const pair = impl.pair?.();
  const paired = pair !== undefined && (o.pairs ?? []).includes(pair.target) ? pair : null;
  let spawnRate: number | undefined;
  for (const w of WORKLOADS.map((x) => x.id)) {
    if (!supported.includes(w)) continue;
    progress(w);
    const started = Date.now();
    let results: CellResult[];
    const both = paired !== null && typeof paired.impl[PLANS[w].method] === 'function';
    try {
      results = both ? await measurePair({ impl, target: targetId }, paired, w, o) : [await measure(impl, targetId, w, o, spawnRate)];
    } catch (e) {
      const err = e as Error;
      const failed = (target: string): CellResult => ({ target, workload: w, status: 'failed', error: `${err.name}: ${err.message}` });
      results = both ? [failed(targetId), failed(paired.target)] : [failed(targetId)];
    }
    if (w === 'spawn' && results[0]!.status === 'ok') spawnRate = results[0]!.value;
    for (const result of results) await send({ type: 'result', result: { ...result, seconds: (Date.now() - started) / 1000 } });
  }
  await withTimeout(impl.teardown(), 30_000, 'teardown').catch((e: unknown) => {
    process.stderr.write(`${targetId}: teardown: ${String(e)}\n`);
  });
  await send({ type: 'done' });
  process.exit(0);
}

main().catch(async (e: unknown) => {
  await send({ type: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }).catch(() => undefined);
  process.exit(1);
});

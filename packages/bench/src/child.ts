/**
 * Runs every workload of one target in this (fresh) process and reports to the parent over
 * IPC: {type:'target', available, reason, workloads}, then {type:'progress'} and
 * {type:'result'} per workload. Usage (by cli.js): node --expose-gc child.js TARGET OPTIONS_JSON
 */
import { targetInfo } from './targets';
import { WORKLOADS } from './workloads';
import type { CellResult } from './results';
import { PLANS, measure, withTimeout, type ChildOptions } from './runner';

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
  let spawnRate: number | undefined;
  for (const w of WORKLOADS.map((x) => x.id)) {
    if (!supported.includes(w)) continue;
    progress(w);
    let result: CellResult;
    const started = Date.now();
    try {
      result = await measure(impl, targetId, w, o, spawnRate);
    } catch (e) {
      const err = e as Error;
      result = { target: targetId, workload: w, status: 'failed', error: `${err.name}: ${err.message}` };
    }
    if (w === 'spawn' && result.status === 'ok') spawnRate = result.value;
    result = { ...result, seconds: (Date.now() - started) / 1000 };
    await send({ type: 'result', result });
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

/**
 * Runs every workload of one target in this (fresh) process and reports to the parent over
 * IPC: {type:'target', available, reason, workloads}, then {type:'progress'} and
 * {type:'result'} per workload. Usage (by cli.js): node --expose-gc child.js TARGET OPTIONS_JSON
 *
 * Served (options.serve): after {type:'target', ..., pairs} and {type:'ready'} (set up), it
 * runs one step at a time as the parent asks ({cmd:'size'|'rep'|'measure'|'end'}, answered by
 * {type:'size', n} | {type:'rep', timed} | {type:'cell', result} | {type:'error', error}),
 * so that the parent can interleave the repetitions of several targets' processes.
 */
import { targetInfo } from './targets';
import type { TargetImpl } from './targets/types';
import { WORKLOADS, type WorkloadId } from './workloads';
import type { CellResult } from './results';
import { PLANS, measure, measurePair, repetition, sizeOf, withTimeout, type ChildOptions } from './runner';

export type { ChildOptions };

/** What the parent asks of a served process. */
export type ServeCommand =
  | {
      readonly cmd: 'size' | 'rep' | 'measure';
      readonly target: string;
      readonly w: WorkloadId;
      readonly n?: number;
      readonly spawnRate?: number;
    }
  | { readonly cmd: 'end' };

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
  const supportedBy = (x: TargetImpl): WorkloadId[] => o.workloads.filter((w) => typeof x[PLANS[w].method] === 'function');
  const supported = supportedBy(impl);
  // a target measured with this one (interleaved), when it was asked for
  const pair = impl.pair?.();
  const paired = pair !== undefined && (o.pairs ?? []).includes(pair.target) ? pair : null;
  const pairs: Record<string, WorkloadId[]> = paired === null ? {} : { [paired.target]: supportedBy(paired.impl) };
  await send({ type: 'target', available: true, workloads: supported, pairs });
  await withTimeout(impl.setup(), 60_000, 'setup');
  if (o.serve === true) {
    serve(new Map([[targetId, impl], ...(paired === null ? [] : ([[paired.target, paired.impl]] as const))]), o);
    await send({ type: 'ready' });
    return;
  }
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

/** Runs the parent's steps (see the file comment) on the targets of this process, one at a time. */
function serve(impls: ReadonlyMap<string, TargetImpl>, o: ChildOptions): void {
  let chain = Promise.resolve();
  const step = async (m: ServeCommand): Promise<void> => {
    if (m.cmd === 'end') {
      // the first is the process's own target (a pair shares its setup)
      await withTimeout(impls.values().next().value!.teardown(), 30_000, 'teardown').catch((e: unknown) => {
        process.stderr.write(`teardown: ${String(e)}\n`);
      });
      await send({ type: 'done' });
      process.exit(0);
    }
    const impl = impls.get(m.target);
    try {
      if (impl === undefined) throw new Error(`no target ${m.target} in this process`);
      if (m.cmd === 'size') await send({ type: 'size', n: await sizeOf(impl, m.w, o) });
      else if (m.cmd === 'rep') await send({ type: 'rep', timed: await repetition(impl, m.w, o, m.n!) });
      else await send({ type: 'cell', result: await measure(impl, m.target, m.w, o, m.spawnRate) });
    } catch (e) {
      const err = e as Error;
      await send({ type: 'error', error: `${err.name}: ${err.message}` });
    }
  };
  // the parent waits for each answer; a chain keeps the steps in order all the same
  process.on('message', (m: ServeCommand) => {
    chain = chain.then(() => step(m));
  });
}

main().catch(async (e: unknown) => {
  await send({ type: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }).catch(() => undefined);
  process.exit(1);
});

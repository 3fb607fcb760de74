/**
 * The processes of a family run together: a served target process runs one step at a time
 * (child.ts), and `pnpm bench` interleaves the repetitions of a family's targets across them.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildOptions } from '../src/runner';
import type { Results } from '../src/results';
import { Served } from '../src/served';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(ROOT, 'packages/bench/dist');

beforeAll(() => {
  // the runs fork compiled scripts: build them first (a no-op when up to date)
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/bench'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

describe('a served target process', () => {
  it('sizes a workload, runs repetitions one at a time, refuses an unknown target, and ends when told', async () => {
    const opts: ChildOptions = { quick: true, reps: 3, targetMs: 5, workloads: ['counting', 'pingpong'], memoryActors: 500, serve: true };
    const child = fork(path.join(DIST, 'child.js'), ['baseline-loop', JSON.stringify(opts)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const inbox: Array<Record<string, unknown>> = [];
    let wake: (() => void) | null = null;
    child.on('message', (m: Record<string, unknown>) => {
      inbox.push(m);
      wake?.();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const next = async (): Promise<Record<string, unknown>> => {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return inbox.shift()!;
    };
    expect(await next()).toMatchObject({ type: 'target', available: true, workloads: ['counting', 'pingpong'], pairs: {} });
    expect(await next()).toEqual({ type: 'ready' });
    child.send({ cmd: 'size', target: 'baseline-loop', w: 'counting' });
    const size = await next();
    expect(size.type).toBe('size');
    expect(size.n).toBeGreaterThanOrEqual(100);
    for (let i = 0; i < 2; i++) {
      child.send({ cmd: 'rep', target: 'baseline-loop', w: 'counting', n: size.n });
      const rep = await next();
      expect(rep.type).toBe('rep');
      expect((rep.timed as { ms: number }).ms).toBeGreaterThan(0);
    }
    child.send({ cmd: 'rep', target: 'nope', w: 'counting', n: 10 });
    expect(await next()).toEqual({ type: 'error', error: 'Error: no target nope in this process' });
    child.send({ cmd: 'end' });
    expect(await next()).toEqual({ type: 'done' });
    expect(await exited).toBe(0);
  }, 60_000);
});

describe('pnpm bench with two targets of one family', () => {
  it('measures both in one pass, each figure interleaved with the other', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-bench-'));
    try {
      const args = ['--quick', '--reps', '3', '--targets', 'tsactor-async,baseline-loop', '--workloads', 'counting,pingpong', '--out', out];
      const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, TSACTOR_CONTEXT: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain('the 2 processes above run each workload in turn, their repetitions interleaved');
      const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
      const cells = results.cells.map((c) => [c.target, c.workload, c.status, c.reps?.length, c.interleavedWith]);
      expect(cells.sort()).toEqual(
        [
          ['baseline-loop', 'counting', 'ok', 3, ['tsactor-async']],
          ['baseline-loop', 'pingpong', 'ok', 3, ['tsactor-async']],
          ['tsactor-async', 'counting', 'ok', 3, ['baseline-loop']],
          ['tsactor-async', 'pingpong', 'ok', 3, ['baseline-loop']],
        ].sort(),
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the parent of a served process', () => {
  it('keeps answers that arrive together (target and ready in one read) for the steps that wait for them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-served-'));
    try {
      // both answers sent at once, before the parent waits for the second
      const script = path.join(dir, 'child.js');
      fs.writeFileSync(
        script,
        `process.send({ type: 'target', available: true, workloads: ['counting'], pairs: {} });
         process.send({ type: 'ready' });
         process.on('message', (m) => {
           if (m.cmd === 'size') process.send({ type: 'size', n: 7 });
           else if (m.cmd === 'end') process.send({ type: 'done' }, undefined, undefined, () => process.exit(0));
         });`,
      );
      const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      const s = await Served.start(child, 'fake', 10_000);
      expect({ available: s.available, reason: s.reason, workloads: [...s.workloads] }).toEqual({
        available: true,
        reason: undefined,
        workloads: [['fake', ['counting']]],
      });
      expect(await s.step({ cmd: 'size', target: 'fake', w: 'counting' }, 10_000)).toEqual({ type: 'size', n: 7 });
      await s.end();
      expect(child.exitCode).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

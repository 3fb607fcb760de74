/**
 * scripts/demo-registry.js (the registry demo that `npm start` ran before the cluster demo): four host processes on loopback (a registry, two
 * workers and the demo itself), remote spawn, refs passed between hosts. The test lets it
 * run one round, stops it with SIGINT as Ctrl+C would, and checks the clean shutdown: exit
 * code 0, every child process gone, nothing on stderr.
 */
import { spawn, execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

test('the demo runs a round across its hosts and shuts the cluster down cleanly on SIGINT', async () => {
  const demo = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo-registry.js')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  demo.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no round within 60 s:\n${out}\n${err}`)), 60_000);
    demo.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/\[main\] round 1: 6 reports from 2 counters/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    demo.on('exit', () => reject(new Error(`the demo exited early:\n${out}\n${err}`)));
  });
  demo.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(err).toBe('');
  const pids = [...out.matchAll(/started (\S+) \(pid (\d+)\)/g)].map((m) => Number(m[2]));
  expect(pids).toHaveLength(3);
  for (const pid of pids) expect(alive(pid)).toBe(false);
  // what the demo shows
  expect(out).toMatch(/\[registry\] bound 'worker-1' -> grpc:\/\/127\.0\.0\.1:\d+\//);
  expect(out).toMatch(/the registry lists 2 hosts/);
  expect(out).toMatch(/spawned grpc:\/\/127\.0\.0\.1:\d+\/counter on worker-1/);
  expect(out).toMatch(/\[worker-\d\] round 1: counter counted \d+ words, reporting to grpc:\/\/127\.0\.0\.1:\d+\/aggregator/);
  expect(out).toMatch(/round 1: 6 reports from 2 counters, 76 words; top: the=6/);
  expect(out).toMatch(/Ctrl\+C \(SIGINT\): shutting the cluster down/);
  for (const who of ['worker-1', 'worker-2', 'registry']) expect(out).toContain(`[main] ${who} exited with code 0`);
  expect(out.trimEnd().split('\n').pop()).toBe('[main] cluster stopped cleanly');
}, 120_000);

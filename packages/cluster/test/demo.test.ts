/**
 * `npm start` runs scripts/demo.js: three member processes of a seeds cluster serve virtual
 * Carts, one is killed with SIGKILL and its carts come back on the others; the demo ends by
 * itself. The test checks that it does so with exit code 0, nothing on stderr, every member
 * process gone, and that it shows what it claims.
 */
import { execFileSync, spawn } from 'node:child_process';
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

test('the cluster demo activates carts, survives a kill -9 of a member and ends by itself', async () => {
  const demo = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
  demo.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => demo.on('exit', (c) => resolve(c)));
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const pids = [...out.matchAll(/started member-\d at \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(3);
  for (const pid of pids) expect(alive(pid)).toBe(false);
  expect(out).toMatch(/membership in the seed member \(member-1/);
  expect(out).toMatch(/\[main\] cart-1\.add\('book-1'\) -> 1 item\(s\), served by member-\d/);
  expect(out).toMatch(/\[member-\d\] activated Cart\/cart-1 \(lease epoch \d+\)/);
  const killed = /killing (member-\d) \(pid \d+\) with SIGKILL; it serves (.+)/.exec(out);
  expect(killed).not.toBeNull();
  for (const cart of killed![2]!.split(', ')) {
    expect(out).toMatch(new RegExp(`${cart} is back on (?!${killed![1]})member-\\d after [\\d.]+ s`));
  }
  expect(out.trimEnd().split('\n').pop()).toBe('[main] demo finished: every member left the cluster and stopped');
}, 120_000);

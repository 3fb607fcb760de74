/**
 * Workers boot outside jest too: a compiled-JavaScript program and a TypeScript program run
 * by ts-node (as the samples are) spawn their classes on worker threads, and what the
 * workers print keeps its order with what the main thread prints. (Every other test of this
 * package shows the third way: inside jest, from the TypeScript sources.)
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PROGRAMS = path.join(__dirname, 'fixtures', 'programs');
const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Run {
  code: number | null;
  stdout: string[];
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: PROGRAMS, env: { ...process.env, ...env }, timeout: 40_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an ExecFileException is an Error (its type leaves out Error's own `code`)
          reject(error);
          return;
        }
        resolve({ code: child.exitCode, stdout: stdout.split('\n').filter((l) => l !== ''), stderr });
      },
    );
  });
}

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-boot-test-'));
let compiled: Promise<Run>;
let typescript: Promise<Run>;
let withFlags: Promise<Run>;

beforeAll(() => {
  // the programs use the built packages (packages/*/dist), as `npm test` builds them first
  expect(fs.existsSync(path.join(ROOT, 'packages', 'runtime-threads', 'dist', 'worker-entry.js'))).toBe(true);
  const env = { TSACTOR_CONTEXT: '', TSACTOR_TS_CACHE: cache };
  compiled = run(['compiled.js'], env);
  typescript = run(['-r', 'ts-node/register/transpile-only', 'typescript.ts'], env);
  withFlags = run(['--expose-gc', '--stack-size=2000', 'compiled.js'], env);
});

afterAll(() => {
  fs.rmSync(cache, { recursive: true, force: true });
});

it('runs a compiled JavaScript program on worker threads', async () => {
  expect(await compiled).toEqual({
    code: 0,
    stderr: '',
    stdout: ['main first', 'hello a from a worker: true', 'hello b from a worker: true', 'two workers: true', 'main last'],
  });
});

it('starts workers of a program run with flags Node refuses in workers (--expose-gc), leaving those out', async () => {
  const r = await withFlags;
  expect(r).toEqual({ code: 0, stderr: '', stdout: (await compiled).stdout });
});

it('runs a TypeScript program under ts-node, its workers loading the module with their own cached loader', async () => {
  const lines: string[] = ['main: start'];
  for (let i = 0; i < 3; i++) {
    lines.push(`a: before line ${i}`, `b: line ${i}`, `a: after line ${i}`, `main: ${i} relayed by a worker: true`);
  }
  expect(await typescript).toEqual({ code: 0, stderr: '', stdout: lines });
  // the workers compiled typescript.ts themselves (ts-node is not loaded in them) and cached it
  expect(fs.readdirSync(cache).filter((f) => f.endsWith('.js')).length).toBeGreaterThan(0);
});

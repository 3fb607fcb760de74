/**
 * tsactor installed as an application installs it (SPEC §6.1): every published package is
 * packed with pnpm, the tarballs are installed with npm into a fresh project outside the
 * repository (no workspace links), the application in fixtures/install-app is compiled with
 * `strict` and `skipLibCheck: false` as CommonJS and as ESM, and run compiled, with ts-node
 * and with tsx: an async host, a threads host, and a gRPC server and client in two
 * processes (tell, ask, lookupUrl without the class, remote spawn).
 *
 * Uses the packages' dist/ (`npm test` runs `tsc -b` before jest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@tsactor/testing';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'install-app');
const STEP_TIMEOUT = 120_000;
const RUN_TIMEOUT = 60_000;

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  files?: string[];
  engines?: { node?: string };
  exports?: Record<string, string | { types?: string; default?: string }>;
  devDependencies?: Record<string, string>;
}

const readJson = (file: string): PackageJson => JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;

/** The packages of packages/ that are published (not private). */
const published = fs
  .readdirSync(path.join(ROOT, 'packages'))
  .map((dir) => ({ dir: path.join(ROOT, 'packages', dir), pkg: readJson(path.join(ROOT, 'packages', dir, 'package.json')) }))
  .filter(({ pkg }) => pkg.private !== true);

/** The environment of the processes started here: nothing of this repository's tooling. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_OPTIONS$|TS_NODE_|TSACTOR_|JEST_|INIT_CWD$|PNPM_)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

/** Every process started here, so that none outlives the suite. */
const children = new Set<ChildProcess>();

/** Ends a process and its children (each is started as the leader of its own group). */
function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** A started process and what it printed. */
class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** called on every output and at the end */
  private wake: Array<() => void> = [];

  constructor(
    readonly argv: readonly string[],
    readonly cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exit = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.stderr += `\n(could not start: ${e.message})`;
        children.delete(this.child);
        resolve({ code: null, signal: null });
      });
      this.child.on('close', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
        this.notify();
      });
    });
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const w of waiting) w();
  }

  private get ended(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null || !children.has(this.child);
  }

  /** The command, where it ran, how it ended and everything it printed. */
  report(how: string): string {
    const cmd = this.argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
    return `$ ${cmd}\n  (in ${this.cwd}) ${how}\n--- stdout\n${this.stdout}--- stderr\n${this.stderr}---`;
  }

  /** Waits for the process to end; throws with its report when it fails or outlasts `ms`. */
  async done(ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const r = await Promise.race([this.exit, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      killGroup(this.child);
      await this.exit;
      throw new Error(this.report(`did not end within ${ms / 1000} s (killed)`));
    }
    if (r.code !== 0) throw new Error(this.report(`ended with ${r.code === null ? `signal ${r.signal}` : `code ${r.code}`}`));
    return this.stdout;
  }

  /** Waits until stdout has a line that starts with `prefix`; returns that line. */
  async line(prefix: string, ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.stdout.split('\n').find((l) => l.startsWith(prefix));
      if (found !== undefined) return found;
      const ended = this.ended;
      if (ended || Date.now() >= deadline) {
        killGroup(this.child);
        await this.exit;
        throw new Error(this.report(ended ? `ended before printing '${prefix}'` : `printed no '${prefix}' within ${ms / 1000} s (killed)`));
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Runs a command to its end; returns the process, or throws with the command and its output. */
async function run(argv: readonly string[], cwd: string, ms = STEP_TIMEOUT, env = cleanEnv()): Promise<Proc> {
  const proc = new Proc(argv, cwd, env);
  await proc.done(ms);
  return proc;
}

/** Lines printed, without blank ones. */
const lines = (out: string): string[] => out.split('\n').filter((l) => l.trim() !== '');

/** Checks what a process printed, line for line; on a difference the error shows the command and its output. */
function expectLines(proc: Proc, expected: readonly string[]): void {
  const got = lines(proc.stdout);
  if (got.length !== expected.length || got.some((l, i) => l !== expected[i])) {
    throw new Error(`expected the lines\n${expected.join('\n')}\n${proc.report('printed something else')}`);
  }
  expect(got).toEqual(expected);
}

let tmp = '';
let app = '';
let tsactorCache = '';

/** How a variant runs a program of the application. */
interface Variant {
  readonly name: string;
  /** 'cjs' or 'esm': the folder of the application */
  readonly dir: 'cjs' | 'esm';
  /** the command that runs `program` ('local', 'server' or 'client') */
  command(program: string): string[];
}

const bin = (name: string, file: string): string => path.join(app, 'node_modules', name, file);

const variants: Variant[] = [
  { name: 'CommonJS, compiled', dir: 'cjs', command: (p) => [process.execPath, `dist/${p}.js`] },
  { name: 'ESM, compiled', dir: 'esm', command: (p) => [process.execPath, `dist/${p}.js`] },
  { name: 'CommonJS, ts-node', dir: 'cjs', command: (p) => [process.execPath, bin('ts-node', 'dist/bin.js'), `src/${p}.ts`] },
  { name: 'ESM, tsx', dir: 'esm', command: (p) => [process.execPath, bin('tsx', 'dist/cli.mjs'), `src/${p}.ts`] },
  { name: 'CommonJS, tsx', dir: 'cjs', command: (p) => [process.execPath, bin('tsx', 'dist/cli.mjs'), `src/${p}.ts`] },
];

function env(): NodeJS.ProcessEnv {
  return cleanEnv({ TSACTOR_TS_CACHE: tsactorCache });
}

describe('tsactor installed from its packed packages', () => {
  test('every published package declares an exports map with types, its files and engines', () => {
    expect(published.map(({ pkg }) => pkg.name).sort()).toEqual(
      [
        '@tsactor/cluster',
        '@tsactor/core',
        '@tsactor/inspector',
        '@tsactor/runtime-async',
        '@tsactor/runtime-threads',
        '@tsactor/testkit',
        '@tsactor/transport-amqp',
        '@tsactor/transport-grpc',
        'tsactor',
      ].sort(),
    );
    for (const { dir, pkg } of published) {
      const root = pkg.exports?.['.'];
      expect({ name: pkg.name, types: typeof root === 'object' ? root.types : undefined }).toEqual({
        name: pkg.name,
        types: './dist/index.d.ts',
      });
      expect({ name: pkg.name, default: typeof root === 'object' ? root.default : undefined }).toEqual({
        name: pkg.name,
        default: './dist/index.js',
      });
      expect({ name: pkg.name, node: pkg.engines?.node }).toEqual({ name: pkg.name, node: '>=20' });
      expect({ name: pkg.name, dist: pkg.files?.includes('dist') }).toEqual({ name: pkg.name, dist: true });
      for (const entry of Object.values(pkg.exports ?? {})) {
        for (const target of typeof entry === 'string' ? [entry] : [entry.types, entry.default]) {
          expect({ name: pkg.name, target, exists: target !== undefined && fs.existsSync(path.join(dir, target)) }).toEqual({
            name: pkg.name,
            target,
            exists: true,
          });
        }
      }
    }
  });

  describe('in a new project, with npm', () => {
    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-install-'));
      app = path.join(tmp, 'app');
      tsactorCache = path.join(tmp, 'ts-cache');
      const packs = path.join(tmp, 'packs');
      fs.mkdirSync(packs);
      fs.mkdirSync(app);

      // 1. pack every published package with the pinned pnpm (workspace:* becomes a version)
      const filters = published.flatMap(({ pkg }) => ['--filter', pkg.name]);
      await run([process.execPath, path.join(ROOT, 'scripts', 'pnpm.js'), '-r', ...filters, 'pack', '--pack-destination', packs], ROOT);
      const tarballs = new Map<string, string>();
      for (const { pkg } of published) {
        const file = path.join(packs, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
        if (!fs.existsSync(file)) throw new Error(`pnpm pack made no ${file}; it made: ${fs.readdirSync(packs).join(', ')}`);
        tarballs.set(pkg.name, file);
      }

      // 2. a project that depends on the tarballs (overrides: the packages' own dependencies
      //    on each other resolve to the tarballs too, never to the registry)
      const dev = readJson(path.join(ROOT, 'package.json')).devDependencies ?? {};
      const devDependencies = Object.fromEntries(['@types/node', 'ts-node', 'tsx', 'typescript'].map((n) => [n, dev[n]!]));
      const dependencies = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
      const overrides = Object.fromEntries([...tarballs.keys()].filter((n) => n !== 'tsactor').map((n) => [n, `$${n}`]));
      fs.writeFileSync(
        path.join(app, 'package.json'),
        JSON.stringify({ name: 'tsactor-install-check', private: true, dependencies, devDependencies, overrides }, null, 2),
      );
      await run(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
      for (const name of tarballs.keys()) {
        const link = path.join(app, 'node_modules', name);
        if (fs.lstatSync(link).isSymbolicLink()) throw new Error(`${link} is a link, not an installed package`);
      }

      // 3. the application, as CommonJS and as ESM, compiled with strict and skipLibCheck: false
      for (const dir of ['cjs', 'esm']) {
        fs.cpSync(path.join(FIXTURE, dir), path.join(app, dir), { recursive: true });
        fs.cpSync(path.join(FIXTURE, 'src'), path.join(app, dir, 'src'), { recursive: true });
      }
      const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      await Promise.all(['cjs', 'esm'].map((dir) => run([process.execPath, tsc, '-p', 'tsconfig.json'], path.join(app, dir))));
    }, 5 * STEP_TIMEOUT);

    afterAll(() => {
      for (const child of children) killGroup(child);
      if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
    });

    test('the installed packages ship what they load at run time: the .proto of the gRPC transport, the boot of the threads runtime', () => {
      expect(fs.existsSync(path.join(app, 'node_modules', '@tsactor', 'transport-grpc', 'proto', 'tsactor.proto'))).toBe(true);
      expect(fs.existsSync(path.join(app, 'node_modules', '@tsactor', 'runtime-threads', 'boot', 'worker.js'))).toBe(true);
      expect(fs.existsSync(path.join(app, 'node_modules', 'tsactor', 'dist', 'index.d.ts'))).toBe(true);
    });

    describe.each(variants)('$name', (variant) => {
      const cwd = (): string => path.join(app, variant.dir);

      test(
        'an async host and a threads host',
        async () => {
          const local = await run(variant.command('local'), cwd(), RUN_TIMEOUT, env());
          expectLines(local, ['async: total 5 on the main thread', 'threads: total 4 on a worker thread', 'local: done']);
        },
        STEP_TIMEOUT,
      );

      test(
        'a gRPC server and a client in two processes',
        async () => {
          const [serverPort, clientPort] = [await freePort(), await freePort()];
          const server = new Proc([...variant.command('server'), String(serverPort)], cwd(), env());
          let ready = '';
          try {
            ready = await server.line('server: ready', RUN_TIMEOUT);
            const pid = /on pid (\d+)/.exec(ready)?.[1];
            expect(ready).toBe(`server: ready on pid ${pid} (Greeter loaded)`);
            const client = await run([...variant.command('client'), String(serverPort), String(clientPort)], cwd(), RUN_TIMEOUT, env());
            expectLines(client, ['client: total 42 on the main thread', `client: hello client from pid ${pid}`, 'client: done']);
          } finally {
            server.child.stdin!.end(); // the server shuts down when its stdin closes
          }
          await server.done(RUN_TIMEOUT);
          expectLines(server, [ready, 'server: stopped']);
        },
        STEP_TIMEOUT,
      );
    });
  });
});

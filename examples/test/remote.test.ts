/**
 * Runs the Remote tutorial's samples (examples/remote/) as real separate processes, the way
 * a user runs them (`node -r ts-node/register/transpile-only sN.ts` in examples/remote/,
 * importing the built 'tsactor'), and checks what each prints against the manual (2.2).
 * Servers are stopped with SIGINT and must exit with code 0; nothing may reach stderr.
 *
 * The samples use the manual's fixed ports (1277, 1679, 6000-6002, 6666, 7777); only this
 * test file uses them, and it runs its scenarios one after another.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const REMOTE = path.resolve(__dirname, '..', 'remote');
const ROOT = path.resolve(__dirname, '..', '..');

class Proc {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private partial = '';
  private waiters: Array<() => void> = [];

  constructor(readonly name: string) {
    const child: ChildProcess = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', `${name}.ts`], {
      cwd: REMOTE,
      env: { ...process.env, TSACTOR_CONTEXT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(this);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.partial += d;
      const parts = this.partial.split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(this);
        if (this.partial !== '') this.lines.push(this.partial);
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      }),
    );
  }

  private readonly child: ChildProcess;

  /** Waits until `count` lines were printed (or the process exits, or 30 s pass). */
  async waitLines(count: number, what = `${count} lines`): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (this.lines.length < count) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.name}: expected ${what}, got:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends SIGINT and returns the exit code. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

const running = new Set<Proc>();

/** Runs a client to completion and returns its output lines (exit code 0 and a clean stderr expected). */
/** Runs a client sample to its end; `stderr` is what it must print there (nothing, by default). */
async function runClient(name: string, stderr = ''): Promise<string[]> {
  const p = new Proc(name);
  const code = await p.exited;
  expect({ name, code, stderr: p.stderr }).toEqual({ name, code: 0, stderr });
  return p.lines;
}

async function startServer(name: string, readyLines: number): Promise<Proc> {
  const p = new Proc(name);
  await p.waitLines(readyLines, `'${name}' to start`);
  return p;
}

async function stop(p: Proc): Promise<void> {
  const code = await p.interrupt();
  expect({ name: p.name, code, stderr: p.stderr }).toEqual({ name: p.name, code: 0, stderr: '' });
}

const PRESS = 'Press Ctrl+C to kill the execution';

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

afterAll(() => {
  for (const p of running) p.kill();
});

test('s1: the client tells, the server prints; s1_clientb repeats it 1000 times in order', async () => {
  const server = await startServer('s1_server', 1);
  expect(await runClient('s1_client')).toEqual([]);
  await server.waitLines(3);
  expect(server.lines).toEqual([PRESS, 'Hi there!', 'See ya!']);

  expect(await runClient('s1_clientb')).toEqual([]);
  await server.waitLines(3 + 2000);
  const more = server.lines.slice(3);
  expect(more).toEqual(Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 'Hi there!' : 'See ya!')));
  await stop(server);
});

test('s2: tells then an ask; the client prints the list', async () => {
  const server = await startServer('s2_server', 1);
  expect(await runClient('s2_client')).toEqual(["['Hi there!', 'See ya!']"]);
  await server.waitLines(3);
  expect(server.lines).toEqual([PRESS, 'Hi there!', 'See ya!']);
  await stop(server);
});

test("s3: remote spawn of 's3_client/Server', asks, a tell and a timeout", async () => {
  const host = await startServer('s3_host', 2);
  expect(host.lines).toEqual(['host listening at port 1277', PRESS]);
  // waitALot's answer arrives after the 1 s timeout: nobody waits for it any more, and it is
  // reported as a dead letter (the default handler writes a line on stderr)
  const out = await runClient('s3_client', 'tsactor: dead letter: an answer from grpc://127.0.0.1:1277/ was dropped (timed-out)\n');
  expect(out.slice(0, 3)).toEqual(['Proxy(Host grpc://127.0.0.1:1277/)', '13', '15']);
  expect(out[3]).toMatch(/^ask waitALot\(\) of grpc:\/\/127\.0\.0\.1:1277\/server got no answer within 1 s/);
  expect(out).toHaveLength(4);
  await host.waitLines(3);
  expect(host.lines[2]).toBe('subtract 1');
  await stop(host);
  expect(host.lines).toHaveLength(3);
});

test('s4: a registry, a client that binds its host, a second client that spawns on it and uses it', async () => {
  const registry = await startServer('s4_registry', 2);
  expect(registry.lines).toEqual(['host listening at port 6000', PRESS]);
  const client = new Proc('s4_client');
  await registry.waitLines(3);
  expect(registry.lines[2]).toBe('server registred host1');
  await client.waitLines(1);
  expect(client.lines).toEqual([PRESS]);

  // first run: spawns the server on client's host
  expect(await runClient('s4_clientb')).toEqual(['Cannot unbind this object: is not in the registry.']);
  // second run: finds it and uses it
  expect(await runClient('s4_clientb')).toEqual(['13', '15', 'Cannot unbind this object: is not in the registry.']);
  await client.waitLines(2);
  expect(client.lines).toEqual([PRESS, 'subtract 1']);

  await stop(client);
  await stop(registry);
  expect(registry.lines).toHaveLength(3);
});

test('sample5: two grpc hosts in one process', async () => {
  expect(await runClient('sample5')).toEqual([
    'hello there !! Proxy(Echo grpc://127.0.0.1:6666/echo1)',
    'hello 2 Proxy(Echo grpc://127.0.0.1:6666/echo1)',
    'hello 3 Proxy(Echo grpc://127.0.0.1:7777/echo1)',
  ]);
});

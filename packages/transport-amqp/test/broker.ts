/**
 * Test helpers for suites that need the RabbitMQ broker (127.0.0.1:5672, or
 * TSACTOR_AMQP_URL):
 * - describeWithBroker: runs the suite when the broker answers; otherwise, under CI=true,
 *   fails it with the reason, and elsewhere skips it and says why;
 * - brokerLock: one suite at a time uses the broker (the restart test stops it), across
 *   jest's worker processes;
 * - startBroker/stopBroker/ensureBrokerRunning: rabbitmqctl start_app/stop_app;
 * - hostNames/clearHosts: the host URLs of a suite, and their queues deleted before it runs.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import { queueOf, stateQueueOf } from '@tsactor/transport-amqp';

const PACKAGE_DIR = path.join(__dirname, '..');
const AMQPLIB = require.resolve('amqplib', { paths: [PACKAGE_DIR] });

/** The broker the tests use. */
export function brokerUrl(): string {
  return process.env.TSACTOR_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
}

let status: { ok: boolean; reason: string } | undefined;

/** Whether the broker accepts a connection now (checked once per test file, synchronously). */
export function brokerStatus(): { ok: boolean; reason: string } {
  if (status !== undefined) return status;
  // another suite may hold the broker lock with the broker stopped (the restart test): a
  // failed check is repeated until that suite lets go (at most two minutes)
  const until = Date.now() + 120_000;
  for (;;) {
    const s = probeBroker();
    const owner = lockOwner();
    if (s.ok || owner === null || owner === process.pid || !alive(owner) || Date.now() > until) {
      status = s;
      return status;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

/** One check that the broker accepts a connection now. */
function probeBroker(): { ok: boolean; reason: string } {
  const script = `
    const amqp = require(${JSON.stringify(AMQPLIB)});
    const t = setTimeout(() => { console.error('no answer within 4 s'); process.exit(1); }, 4000);
    amqp.connect(process.argv[1], { timeout: 4000 }).then(
      (c) => c.close().then(() => { clearTimeout(t); process.exit(0); }),
      (e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, brokerUrl()], { encoding: 'utf8', timeout: 10_000 });
  const shown = brokerUrl().replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');
  return r.status === 0
    ? { ok: true, reason: '' }
    : { ok: false, reason: `RabbitMQ is not answering at ${shown}: ${(r.stderr || r.error?.message || 'no answer').trim()}` };
}

/**
 * `describe` for suites that need the broker. With the broker: the suite runs. Without it:
 * under CI=true the suite fails (one test that throws the reason); elsewhere it is
 * skipped, and the reason is printed.
 */
export function describeWithBroker(name: string, fn: () => void): void {
  const s = brokerStatus();
  if (s.ok) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs a running RabbitMQ broker (CI=true makes the AMQP tests required)', () => {
        throw new Error(`${s.reason}. Start it with 'rabbitmq-server -detached' (.ci/run does).`);
      });
    });
  } else {
    process.stderr.write(
      `\nSKIPPED '${name}': ${s.reason}. Start it with 'rabbitmq-server -detached' to run these tests (under CI=true they fail instead).\n`,
    );
    describe.skip(name, fn);
  }
}

const LOCK_DIR = path.join(os.tmpdir(), 'tsactor-amqp-tests.lock');

function lockOwner(): number | null {
  try {
    return Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The longest a suite's beforeAll waits in {@link brokerLock} for the suites before it (in
 * other jest workers) to release the broker; the restart test holds it for minutes.
 */
export const LOCK_TIMEOUT = 600_000;

/**
 * Takes the lock of the broker tests (a directory made atomically; a lock whose process
 * died is taken over). Waiting polls, as nothing announces that another process let go.
 */
export async function brokerLock(): Promise<() => void> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      return () => {
        if (lockOwner() === process.pid) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = lockOwner();
    if (owner !== null && owner !== process.pid && !alive(owner)) {
      fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (owner === null) {
      // being written right now, or left half-made by a killed process
      const age = Date.now() - (fs.statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5000) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rabbitmqctl(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('rabbitmqctl', args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Stops the broker's application (connections drop, the port closes; durable queues stay). */
export async function stopBroker(): Promise<void> {
  const r = await rabbitmqctl('stop_app');
  if (r.code !== 0) throw new Error(`rabbitmqctl stop_app failed: ${r.out}`);
}

/** Starts the broker's application and waits until it accepts connections again. */
export async function startBroker(): Promise<void> {
  const r = await rabbitmqctl('start_app');
  if (r.code !== 0) throw new Error(`rabbitmqctl start_app failed: ${r.out}`);
  await rabbitmqctl('await_startup');
}

/** Makes sure the broker runs (after a test that stopped it), whatever happened. */
export async function ensureBrokerRunning(): Promise<void> {
  const r = await rabbitmqctl('start_app');
  if (r.code === 0) await rabbitmqctl('await_startup');
}

/**
 * The host URLs of a suite: amqp://127.0.0.1:<first>/ and up, at most `count` of them (names
 * of queues on the broker; no socket is opened). `next()` gives the next one and fails past
 * the last; `all` is every one of them, for {@link clearHosts}.
 */
export function hostNames(first: number, count: number): { readonly next: () => string; readonly all: readonly string[] } {
  const all = Array.from({ length: count }, (_, i) => `amqp://127.0.0.1:${first + i}/`);
  let n = 0;
  return {
    all,
    next: () => {
      const url = all[n++];
      if (url === undefined)
        throw new Error(`this suite named all ${count} of its hosts (amqp://127.0.0.1:${first}/ and up): raise the count`);
      return url;
    },
  };
}

/**
 * Deletes the queues of these hosts on the broker: what an earlier run left there when its
 * hosts were not shut down (a killed test process). A new host at one of these URLs would
 * otherwise handle the messages left for the old one and read back its dedup table, and so
 * drop a hand-made message whose id the old host had seen.
 */
export async function clearHosts(urls: readonly string[]): Promise<void> {
  const conn = await amqp.connect(brokerUrl());
  try {
    const ch = await conn.createChannel();
    await Promise.all(urls.flatMap((u) => [ch.deleteQueue(queueOf(u)), ch.deleteQueue(stateQueueOf(u))]));
  } finally {
    await conn.close();
  }
}

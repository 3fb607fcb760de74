/** Child processes for the AMQP tests: a TypeScript file run with ts-node against the built 'tsactor'. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shutdown } from 'tsactor';
import { EnvelopeKind, encodeEnvelope, serializeValue } from '@tsactor/core/internal';
import { LOCK_TIMEOUT, brokerLock, clearHosts } from './broker';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The packages whose dist/ the child processes import (through 'tsactor'). */
const BUILT = ['core', 'runtime-async', 'runtime-threads', 'transport-grpc', 'transport-amqp', 'tsactor'];

/**
 * Fails with a clear message when the packages the child processes import are not built
 * (`npm test` builds them before jest runs; a suite run alone needs `npx tsc -b` first).
 */
export function requireBuilt(): void {
  const missing = BUILT.filter((p) => !fs.existsSync(path.join(ROOT, 'packages', p, 'dist', 'index.js')));
  if (missing.length > 0) {
    throw new Error(
      `the child processes of this suite import the built packages, and ${missing.map((p) => `packages/${p}/dist`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: run \`npx tsc -b\` first (npm test does)`,
    );
  }
}

export class Child {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private partial = '';
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcess;

  constructor(
    readonly script: string,
    args: string[] = [],
    env: Record<string, string> = {},
    cwd = ROOT,
  ) {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', script, ...args], {
      cwd,
      env: {
        ...process.env,
        TSACTOR_CONTEXT: '',
        NODE_PATH: path.join(ROOT, 'examples', 'node_modules'),
        TS_NODE_PROJECT: path.join(ROOT, 'examples', 'tsconfig.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.partial += d;
      const parts = this.partial.split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        live.delete(this);
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        this.wake();
        resolve(code);
      }),
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until a line matches (rejects if the process exits first, or after `seconds`). */
  async waitFor(pattern: RegExp | string, seconds = 60): Promise<string> {
    const match = (l: string): boolean => (typeof pattern === 'string' ? l === pattern : pattern.test(l));
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (!this.running || Date.now() > deadline) {
        throw new Error(
          `${path.basename(this.script)}: no line ${String(pattern)}; output:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 10);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** SIGINT, then the exit code. */
  async interrupt(): Promise<number | null> {
    if (this.running) this.child.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

const live = new Set<Child>();

/** Kills every child still running (afterAll). */
export function killChildren(): void {
  for (const c of live) c.kill();
}

/**
 * For a suite on the broker: before it, checks the build (the child processes run it), takes
 * the broker lock and deletes what an earlier run left in the queues of the suite's `hosts`;
 * after it, runs `cleanUp` (e.g. to put the broker back as it was), shuts this
 * process's hosts down, kills its child processes and releases the lock, whatever failed.
 */
export function holdBrokerForSuite(hosts: readonly string[], cleanUp?: () => Promise<unknown>): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    requireBuilt();
    release = await brokerLock();
    await clearHosts(hosts);
  }, LOCK_TIMEOUT);
  afterAll(async () => {
    try {
      await cleanUp?.();
      await shutdown().catch(() => undefined);
    } finally {
      killChildren();
      release?.();
    }
  }, 120_000);
}

/** The bytes of a tell envelope as a peer would write it by hand (no sender). */
export function tellEnvelope(target: string, method: string, args: unknown[]): Uint8Array {
  return encodeEnvelope({
    kind: EnvelopeKind.TELL,
    id: 0,
    target,
    method,
    args: serializeValue(args),
    ctorArgs: null,
    value: null,
    sender: '',
  });
}

/**
 * The remote side of cross-process targets: a child process started with IPC, which says
 * {type:'ready', url} once it serves, and is killed at the end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';

export class ChildSide {
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    /** the URL (or other string) the child reported when ready */
    readonly ready: Promise<string>,
  ) {
    this.exit = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
  }

  /** Forks `script` (with --expose-gc) and waits for its ready message (at most `timeoutMs`). */
  static async start(script: string, args: string[], timeoutMs = 30_000): Promise<ChildSide> {
    // TSACTOR_BENCH_REMOTE_ARGS: more node flags for remote sides (pnpm bench --profile sets --cpu-prof)
    const extra = (process.env.TSACTOR_BENCH_REMOTE_ARGS ?? '').split(' ').filter(Boolean);
    const proc = fork(script, args, {
      execArgv: ['--expose-gc', ...extra],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, TSACTOR_CONTEXT: '' },
    });
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not get ready within ${timeoutMs / 1000} s`)), timeoutMs);
      proc.on('message', (m: { type?: string; url?: string; error?: string }) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(String(m.url));
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${script}: ${m.error}`));
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${signal ?? code}) before it was ready`));
      });
    });
    const side = new ChildSide(proc, ready);
    try {
      await ready;
    } catch (e) {
      await side.stop();
      throw e;
    }
    return side;
  }

  /** Sends a message to the child. */
  send(msg: unknown): void {
    this.proc.send(msg as never);
  }

  /** Asks the child to stop, then kills it if it has not exited within a second. */
  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      this.proc.send({ type: 'stop' });
    } catch {
      // the IPC channel is already gone
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    this.proc.kill('SIGTERM');
    await this.exit;
    clearTimeout(timer);
  }
}

/** Ports already handed out by `freePort` in this process. */
const handedOut = new Set<number>();

/**
 * A TCP port that was free a moment ago on 127.0.0.1 and not handed out before in this
 * process (the kernel may pick the same free port for two binds in a row).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** True when something accepts TCP connections on the broker's port. */
export function brokerReachable(host = '127.0.0.1', port = 5672, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** For a child script: calls `stop` when the parent asks or goes away, then exits. */
export function onParentStop(stop: () => Promise<void> | void): void {
  let stopping = false;
  const go = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(stop)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'stop') go();
  });
  process.on('disconnect', go);
  process.on('SIGTERM', go);
}

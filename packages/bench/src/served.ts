/** The parent's side of a target process in served mode (see child.ts). */
import type { ChildProcess } from 'node:child_process';
import type { ServeCommand } from './child';
import type { WorkloadId } from './workloads';
import type { CellResult } from './results';
import type { Timed } from './targets/types';

/** What a served process answers (see child.ts). */
interface ServeAnswer {
  type: string;
  available?: boolean;
  reason?: string;
  workloads?: WorkloadId[];
  pairs?: Record<string, WorkloadId[]>;
  n?: number;
  timed?: Timed;
  result?: CellResult;
  error?: string;
}

/**
 * A target's process in served mode (child.ts): set up once, then one step at a time (the
 * size of a workload's repetitions, one repetition, a whole cell), so that the repetitions of
 * the targets of a family can be interleaved across their processes.
 */
export class Served {
  available = true;
  reason: string | undefined;
  /** the workloads of each target of the process (its own, and its pair's) */
  readonly workloads = new Map<string, WorkloadId[]>();
  private ended: string | null = null;
  private waiter: ((m: ServeAnswer) => void) | null = null;
  private failer: ((e: Error) => void) | null = null;
  /** answers that came while nothing waited (two can arrive in one read: 'target' and 'ready') */
  private readonly inbox: ServeAnswer[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: ServeAnswer) => {
      if (m.type === 'fatal') {
        this.ended = `it crashed: ${m.error}`;
        return;
      }
      const w = this.waiter;
      this.waiter = this.failer = null;
      if (w === null) this.inbox.push(m);
      else w(m);
    });
    child.on('exit', (code, signal) => {
      this.ended ??= `its process ended (${signal ?? `exit ${code}`})`;
      const f = this.failer;
      this.waiter = this.failer = null;
      f?.(new Error(this.ended));
    });
  }

  /** Waits for the set-up of a process forked in served mode, target `id` its own. */
  static async start(child: ChildProcess, id: string, setupMs: number): Promise<Served> {
    const s = new Served(child);
    try {
      const first = await s.next(setupMs, 'report');
      if (first.type !== 'target' || first.available !== true) {
        s.available = false;
        s.reason = first.reason ?? `it answered ${first.type} first`;
        return s;
      }
      s.workloads.set(id, first.workloads ?? []);
      for (const [pair, ws] of Object.entries(first.pairs ?? {})) s.workloads.set(pair, ws);
      const ready = await s.next(setupMs, 'set up');
      if (ready.type !== 'ready') throw new Error(`it answered ${ready.type} instead of ready`);
    } catch (e) {
      s.available = false;
      s.reason = `${(e as Error).message} during setup`;
    }
    return s;
  }

  /** The next message, within `ms` (the process is killed when none comes). */
  private next(ms: number, what: string): Promise<ServeAnswer> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended !== null) return Promise.reject(new Error(this.ended));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ended = `no answer to '${what}' within ${Math.round(ms / 1000)} s; killed`;
        this.child.kill('SIGKILL');
      }, ms);
      this.waiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.failer = (e) => {
        clearTimeout(timer);
        reject(e);
      };
    });
  }

  /** Runs one step; rejects with the step's error. */
  async step(cmd: ServeCommand & { cmd: 'size' | 'rep' | 'measure' }, ms: number): Promise<ServeAnswer> {
    const answer = this.next(ms, `${cmd.cmd} ${cmd.w} of ${cmd.target}`);
    this.child.send(cmd);
    const m = await answer;
    if (m.type === 'error') throw new Error(m.error);
    return m;
  }

  /** Tears the targets down and waits for the process to end. */
  async end(): Promise<void> {
    if (this.ended !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 45_000);
    this.child.send({ cmd: 'end' } satisfies ServeCommand);
    await exited;
    clearTimeout(timer);
  }
}

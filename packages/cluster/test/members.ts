/**
 * Member processes for the fault tests (test/fixtures/member.ts, run on the built packages
 * through ts-node), their JSON event lines, and the invariant checker over them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Actor, Ask } from 'tsactor';
import { freePort } from '@tsactor/testing';
import { PostgresMembership, RedisMembership, type Cluster } from '@tsactor/cluster';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** One event line of a member. */
export interface MemberEvent {
  ev: 'ready' | 'act' | 'pas' | 'call';
  identity?: string;
  member?: string;
  epoch?: number;
  start?: number;
  end?: number;
  callId?: string;
  at?: number;
  reason?: string;
}

/** A running (or ended) member process. */
export class MemberProcess {
  readonly events: MemberEvent[] = [];
  killedAt: number | undefined;
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
  ) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) this.events.push(JSON.parse(l) as MemberEvent);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * Starts a member and waits for its `ready` line (at most 60 s). `options.url` gives its
   * URL (default: a free port on 127.0.0.1); `options.wrap` a command prefix it runs under
   * (e.g. `ip netns exec NAME`).
   */
  static async start(
    cluster: string,
    membership: string,
    ttl: number,
    options: { url?: string; wrap?: readonly string[] } = {},
  ): Promise<MemberProcess> {
    const url = options.url ?? `grpc://127.0.0.1:${await freePort()}/`;
    const args = [
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, 'fixtures', 'member.ts'),
      url,
      cluster,
      membership,
      String(ttl),
    ];
    const [cmd, ...rest] = [...(options.wrap ?? []), process.execPath, ...args];
    const child = spawn(cmd!, rest, {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_PATH: path.join(ROOT, 'examples', 'node_modules'),
        TS_NODE_PROJECT: path.join(ROOT, 'examples', 'tsconfig.json'),
        TSACTOR_CONTEXT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = new MemberProcess(url, child);
    const until = Date.now() + 60_000;
    while (!m.events.some((e) => e.ev === 'ready')) {
      if (child.exitCode !== null || Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`member ${url} did not start:\n${m.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return m;
  }

  /** SIGKILL: the process dies at once (its connections reset). */
  kill(): void {
    this.killedAt = Date.now();
    this.child.kill('SIGKILL');
  }

  /** SIGTERM: the member leaves the cluster and exits; SIGKILL after 15 s. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    this.child.kill('SIGTERM');
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  output(): string {
    return this.stderr;
  }
}

/**
 * `n` distinct ports on 127.0.0.1 that nothing listens on now, picked at random below the
 * kernel's ephemeral range: unlike a port from `freePort`, no other test's port-0 listener
 * and no outgoing connection can take one of them between this check and the moment the
 * member or relay binds it (which, for a process still starting, can be seconds later).
 */
export async function quietPorts(n: number): Promise<number[]> {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual range
  }
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1000, low - 10_000));
    if (!ports.has(port) && (await listenable(port))) ports.add(port);
  }
  return [...ports];
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export { freePort };

/** One activation as the checker sees it. */
export interface Interval {
  identity: string;
  member: string;
  epoch: number;
  start: number;
  end: number;
}

/**
 * Checks the records of every member: no two activations of one identity overlap in time,
 * epochs grow with time, every call was handled inside an activation of its identity on its
 * member, and every acknowledged call was handled exactly once (no call twice at all).
 * Returns the list of violations (empty when the invariants held).
 */
export function checkInvariants(
  members: readonly MemberProcess[],
  acknowledged: ReadonlySet<string>,
): { violations: string[]; activations: number; calls: number } {
  const violations: string[] = [];
  const intervals = new Map<string, Interval[]>();
  const calls = new Map<string, MemberEvent[]>();
  for (const m of members) {
    const open = new Map<string, MemberEvent>();
    for (const e of m.events) {
      if (e.ev === 'act') open.set(`${e.identity} ${e.epoch}`, e);
      if (e.ev === 'pas' || e.ev === 'act') {
        const key = e.identity!;
        if (e.ev === 'pas') {
          open.delete(`${e.identity} ${e.epoch}`);
          (intervals.get(key) ?? intervals.set(key, []).get(key)!).push({
            identity: key,
            member: m.url,
            epoch: e.epoch!,
            start: e.start!,
            end: e.end!,
          });
        }
      }
      if (e.ev === 'call') (calls.get(e.callId!) ?? calls.set(e.callId!, []).get(e.callId!)!).push(e);
    }
    for (const e of open.values()) {
      if (m.killedAt === undefined) {
        violations.push(`${m.url}: activation of ${e.identity} (epoch ${e.epoch}) never ended though the member was not killed`);
        continue;
      }
      const key = e.identity!;
      (intervals.get(key) ?? intervals.set(key, []).get(key)!).push({
        identity: key,
        member: m.url,
        epoch: e.epoch!,
        start: e.start!,
        end: m.killedAt,
      });
    }
  }
  let activations = 0;
  for (const [identity, list] of intervals) {
    list.sort((a, b) => a.start - b.start);
    activations += list.length;
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.start < prev.end) {
        violations.push(
          `${identity}: activation on ${cur.member} (epoch ${cur.epoch}) started at ${cur.start}, before the one on ${prev.member} (epoch ${prev.epoch}) ended at ${prev.end}`,
        );
      }
      if (cur.epoch <= prev.epoch) violations.push(`${identity}: epoch ${cur.epoch} on ${cur.member} does not grow after ${prev.epoch}`);
    }
  }
  for (const [callId, handled] of calls) {
    if (handled.length > 1) violations.push(`call ${callId} was handled ${handled.length} times`);
    for (const h of handled) {
      const inside = (intervals.get(h.identity!) ?? []).some((a) => a.member === h.member && a.start <= h.at! && h.at! <= a.end);
      if (!inside) violations.push(`call ${callId} to ${h.identity} was handled on ${h.member} at ${h.at} outside any activation there`);
    }
  }
  for (const callId of acknowledged) if (!calls.has(callId)) violations.push(`acknowledged call ${callId} was never handled`);
  return { violations, activations, calls: calls.size };
}

/** The p-th percentile (0..100) of `values`, in their unit. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The caller's view of the members' class (fixtures/member.ts): only its name and methods matter. */
@Actor
export class Counter {
  @Ask
  add(_callId: string): { member: string; n: number } {
    throw new Error('runs on the members');
  }
}

/** What {@link callWithoutPause} saw. */
export interface CallLog {
  /** the ids of the calls that were answered */
  readonly acknowledged: Set<string>;
  /** by key: the member that answered last, and when */
  readonly lastMember: Map<string, string>;
  readonly lastOk: Map<string, number>;
  readonly errors: Array<{ at: number; key: string; error: Error }>;
  /** stops calling; resolves once every caller's last call ended */
  stop(): Promise<void>;
}

/**
 * Calls `add(callId)` of the virtual Counter of each key without pause, one call at a time per
 * key (after a failed call, 20 ms later), until `stop()`.
 */
export function callWithoutPause(client: Cluster, keys: readonly string[]): CallLog {
  let serial = 0;
  let running = true;
  const log = {
    acknowledged: new Set<string>(),
    lastMember: new Map<string, string>(),
    lastOk: new Map<string, number>(),
    errors: [] as Array<{ at: number; key: string; error: Error }>,
  };
  const callers = keys.map(async (k) => {
    const p = client.get(Counter, k);
    while (running) {
      const callId = `${k}#${++serial}`;
      try {
        const r = await p.add(callId);
        log.acknowledged.add(callId);
        log.lastMember.set(k, r.member);
        log.lastOk.set(k, Date.now());
      } catch (e) {
        log.errors.push({ at: Date.now(), key: k, error: e as Error });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    ...log,
    stop: async () => {
      running = false;
      await Promise.all(callers);
    },
  };
}

/** Kills the member processes still running (SIGKILL) and waits for every one to exit. */
export async function killAll(procs: MemberProcess[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs.length = 0;
}

/** Removes what cluster `name` left in the store at `url` (Redis or PostgreSQL). */
export async function destroyStore(url: string, name: string): Promise<void> {
  const p = url.startsWith('redis') ? await RedisMembership.connect({ name, url }) : await PostgresMembership.connect({ name, url });
  try {
    await p.destroy();
  } finally {
    await p.close();
  }
}

/** Waits until `cond()` holds (looked at every 20 ms), at most `ms`; `what` explains a timeout. */
export async function waitFor(cond: () => boolean, ms = 20_000, what?: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms${what === undefined ? '' : `: ${what()}`}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

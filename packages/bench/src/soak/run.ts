/**
 * The soak run's orchestrator: starts the gRPC peer and the driver as child processes,
 * restarts the peer when the driver asks, collects every process's memory samples, and
 * judges them. Every child is stopped before it returns, whatever happened.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../targets/child-process';
import { sampleMemory } from './memory';
import type { FromDriver, FromPeer, SoakKind, ToDriver } from './protocol';
import type { Tally } from './rounds';
import { judge, type SoakSample, type Verdict } from './verdict';
import type { SoakEvent } from './plot';

export interface SoakOptions {
  /** messages to send in all (tells and asks) */
  readonly messages: number;
  /** fraction of the messages that is warm-up (not judged) */
  readonly warmup: number;
  /** how many times the gRPC peer is restarted (alternately killed and stopped) */
  readonly restarts: number;
  /** worker threads of the driver's 'threads' host */
  readonly threads: number;
  /** allowed memory growth after warm-up, as a fraction */
  readonly bound: number;
  /** the run fails when no progress is reported for this long (s) */
  readonly stallSeconds: number;
}

export const DEFAULT_OPTIONS: SoakOptions = { messages: 10_000_000, warmup: 0.2, restarts: 3, threads: 2, bound: 0.1, stallSeconds: 120 };

/** One restart of the peer, as seen by the orchestrator and the driver. */
export interface Restart {
  readonly n: number;
  readonly signal: string;
  /** s since the start when it was stopped, and when its successor was ready */
  readonly downT: number;
  upT?: number;
  /** ms from the restart request until the driver's asks were answered again */
  recoveredMs?: number;
}

/** What the driver reported at its end. */
export type DriverReport = Extract<FromDriver, { type: 'done' }>;

export interface SoakResult {
  readonly meta: {
    readonly date: string;
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memGiB: number;
    readonly loadBefore: readonly number[];
    readonly loadAfter: readonly number[];
    readonly durationS: number;
    readonly options: SoakOptions;
  };
  readonly samples: SoakSample[];
  readonly events: SoakEvent[];
  readonly restarts: Restart[];
  /** messages sent by the driver, each second (s since the start) */
  readonly progress: Array<{ t: number; sent: number }>;
  /** the process ids of the driver and of every peer started (all ended when runSoak returns) */
  readonly pids: number[];
  /** s since the start: end of warm-up, end of sending */
  readonly warmT: number;
  readonly endT: number;
  /** seconds from the driver's start of sending to its end, and messages per second over it */
  readonly sendingS: number;
  readonly rate: number;
  readonly driver: DriverReport | null;
  /** why the run did not complete as designed ([] when it did) */
  readonly failures: string[];
  readonly verdict: Verdict;
}

/** Problems in the driver's tallies: unexpected outcomes, and asks that did not all settle. */
export function tallyFailures(tallies: Record<SoakKind, Tally>): string[] {
  const out: string[] = [];
  for (const [kind, t] of Object.entries(tallies)) {
    if (t.unexpected > 0) out.push(`${kind}: ${t.unexpected} unexpected outcome(s), e.g. ${t.unexpectedSamples.slice(0, 3).join('; ')}`);
    const settled = t.answered + t.timedOut + t.peerDown + t.unexpected;
    if (settled !== t.asks) out.push(`${kind}: ${t.asks} asks sent but ${settled} settled`);
    if (t.rounds === 0) out.push(`${kind}: no round ran`);
  }
  return out;
}

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
}

function start(script: string, args: string[], pids: number[], onMessage: (m: never) => void): Child {
  const proc = fork(path.join(__dirname, script), args, {
    // no inherited flags: the driver's worker threads take its flags, and refuse some
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TSACTOR_CONTEXT: '' },
  });
  if (proc.pid !== undefined) pids.push(proc.pid);
  proc.on('message', (m) => {
    onMessage(m as never);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, exited };
}

async function stopChild(c: Child | null, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  if (c === null || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(timer);
}

/** Runs the soak; `log` receives progress lines. */
export async function runSoak(o: SoakOptions, log: (line: string) => void): Promise<SoakResult> {
  const t0 = Date.now();
  const since = (at = Date.now()): number => (at - t0) / 1000;
  const loadBefore = os.loadavg();
  const samples: SoakSample[] = [];
  const events: SoakEvent[] = [];
  const restarts: Restart[] = [];
  const failures: string[] = [];
  const pids: number[] = [];
  const progress: Array<{ t: number; sent: number }> = [];
  const take = (proc: string, s: { at: number; rss: number; heapUsed: number }): void => {
    samples.push({ t: since(s.at), proc, rss: s.rss, heapUsed: s.heapUsed });
  };
  take('soak', sampleMemory());
  const selfSampler = setInterval(() => take('soak', sampleMemory()), 1000);

  const port = await freePort();
  const peerUrl = `grpc://127.0.0.1:${port}/`;
  let peer: Child | null = null;
  let driver: Child | null = null;
  let report: DriverReport | null = null;
  let warmT = NaN;
  let endT = NaN;
  let sent = 0;
  let readyT = 0;
  let lastProgress = Date.now();

  const startPeer = (n: number): Promise<Child> =>
    new Promise<Child>((resolve, reject) => {
      const c = start('peer.js', [String(port)], pids, (m: FromPeer) => {
        if (m.type === 'mem') take(`peer ${n}`, m.sample);
        else if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(c);
        } else {
          clearTimeout(timer);
          reject(new Error(`gRPC peer ${n}: ${m.error}`));
        }
      });
      const timer = setTimeout(() => reject(new Error(`gRPC peer ${n} was not ready within 30 s`)), 30_000);
      void c.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`gRPC peer ${n} exited before it was ready`));
      });
    });

  const onSignal = (): void => {
    driver?.proc.kill('SIGKILL');
    peer?.proc.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    peer = await startPeer(1);
    let peerN = 1;
    const restartPeer = async (n: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
      const r: Restart = { n, signal, downT: since() };
      restarts.push(r);
      events.push({ t: r.downT, what: `peer restart ${n} (${signal})` });
      log(`  restart ${n}: stopping the gRPC peer with ${signal}`);
      await stopChild(peer, signal);
      peer = null;
      peer = await startPeer(++peerN);
      r.upT = since();
      driver?.proc.send({ type: 'peer-up', n } satisfies ToDriver);
    };
    const done = new Promise<void>((resolve, reject) => {
      driver = start(
        'driver.js',
        [JSON.stringify({ messages: o.messages, peerUrl, warmup: o.warmup, restarts: o.restarts, threads: o.threads })],
        pids,
        (m: FromDriver) => {
          switch (m.type) {
            case 'ready':
              lastProgress = Date.now();
              readyT = since();
              log(`  driver ready (${since().toFixed(1)} s)`);
              break;
            case 'mem':
              take('driver', m.sample);
              for (const w of m.workers) samples.push({ t: since(m.sample.at), proc: `driver/worker ${w.thread}`, heapUsed: w.heapUsed });
              break;
            case 'progress':
              sent = m.sent;
              lastProgress = Date.now();
              break;
            case 'warm':
              warmT = since();
              log(`  warm-up over after ${m.sent.toLocaleString('en')} messages (${warmT.toFixed(1)} s)`);
              break;
            case 'restart-peer':
              restartPeer(m.n, m.signal).catch((e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
              break;
            case 'recovered': {
              const r = restarts.find((x) => x.n === m.n);
              if (r !== undefined) r.recoveredMs = m.ms;
              log(`  restart ${m.n}: the peer answers again, ${m.ms} ms after the restart began`);
              break;
            }
            case 'done':
              endT = since();
              report = m;
              break;
            case 'error':
              reject(new Error(`driver: ${m.error}`));
              break;
          }
        },
      );
      void driver.exited.then(() =>
        report !== null
          ? resolve()
          : reject(new Error(`the driver exited (${driver!.proc.signalCode ?? driver!.proc.exitCode}) before the end`)),
      );
    });
    let lastLog = 0;
    const watch = setInterval(() => {
      const now = Date.now();
      progress.push({ t: since(now), sent });
      if (now - lastProgress > o.stallSeconds * 1000) {
        failures.push(`no progress for ${o.stallSeconds} s after ${sent.toLocaleString('en')} messages: stopped`);
        driver?.proc.kill('SIGKILL');
      }
      if (now - lastLog >= 10_000) {
        lastLog = now;
        const pct = ((sent / o.messages) * 100).toFixed(0);
        log(
          `  ${since().toFixed(0)} s: ${sent.toLocaleString('en')} messages (${pct}%), ${(sent / Math.max(0.001, since())).toFixed(0)} msgs/s`,
        );
      }
    }, 1000);
    try {
      await done;
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
    } finally {
      clearInterval(watch);
    }
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
  } finally {
    clearInterval(selfSampler);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopChild(driver, 'SIGKILL');
    await stopChild(peer, 'SIGTERM');
  }
  const rep = report as DriverReport | null;
  if (Number.isNaN(endT)) endT = since();
  if (Number.isNaN(warmT)) warmT = endT;
  if (rep !== null) {
    failures.push(...tallyFailures(rep.tallies));
    if (restarts.length !== o.restarts) failures.push(`${o.restarts} peer restarts planned, ${restarts.length} done`);
    for (const r of restarts)
      if (r.recoveredMs === undefined) failures.push(`the driver did not reach the peer again after restart ${r.n}`);
  }
  const sendingS = endT - readyT;
  return {
    meta: {
      date: new Date(t0).toISOString(),
      node: process.versions.node,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? '?',
      memGiB: os.totalmem() / 2 ** 30,
      loadBefore,
      loadAfter: os.loadavg(),
      durationS: since(),
      options: o,
    },
    samples,
    events,
    restarts,
    progress,
    pids,
    warmT,
    endT,
    sendingS,
    rate: rep !== null && sendingS > 0 ? rep.sent / sendingS : 0,
    driver: rep,
    failures,
    verdict: judge(samples, warmT, endT, o.bound),
  };
}

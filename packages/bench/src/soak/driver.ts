/**
 * The soak run's driver: one process with an 'async' host, a 'threads' host and a grpc://
 * host, sending the mix of rounds/ts to each in turn until the wanted number of messages
 * is sent, asking the orchestrator to restart the gRPC peer at set points and checking
 * that it comes back. Reports its memory (and its worker threads' heaps) every second.
 * Usage (by soak.js): node driver.js OPTIONS_JSON
 */
import { createHost, setContext, setDeadLetterHandler, setErrorHandler, shutdown, type HostProxy, type Proxy } from 'tsactor';
import { SoakCounter, SoakEcho, SoakProbe, SoakSlow } from './actors';
import { sampleMemory } from './memory';
import { emptyTally, roundMessages, runRound, type RoundActors, type RoundShape, type Tally } from './rounds';
import {
  SOAK_KINDS,
  type DeadLetterCounts,
  type DriverOptions,
  type FromDriver,
  type SoakKind,
  type ToDriver,
  type WorkerHeap,
} from './protocol';
import { freePort } from '../targets/child-process';

/** The mix of one cycle: one round per runtime or transport (about 20,000 messages). */
export const SHAPES: Record<SoakKind, RoundShape> = {
  async: { tells: 5600, asks: 2300, timeouts: 40, window: 128, slowMs: 2000 },
  threads: { tells: 4200, asks: 1700, timeouts: 40, window: 128, slowMs: 2000 },
  grpc: { tells: 4200, asks: 1700, timeouts: 40, window: 128, slowMs: 2000 },
};
/** The timeout (s) of the asks designed to time out; their callee answers after slowMs, far later even on a starved event loop. */
const SLOW_TIMEOUT = 0.02;
/** The timeout (s) of the other asks. */
const ASK_TIMEOUT = 10;
/** How long the peer may take to answer again after a restart. */
const RECOVERY_LIMIT_MS = 60_000;

function send(m: FromDriver): void {
  if (process.connected) process.send!(m);
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class Driver {
  private readonly tallies: Record<SoakKind, Tally> = { async: emptyTally(), threads: emptyTally(), grpc: emptyTally() };
  private readonly byKind: Record<SoakKind, number> = { async: 0, threads: 0, grpc: 0 };
  private readonly deadLetters: DeadLetterCounts = {};
  private tellErrors = 0;
  private readonly tellErrorSamples: string[] = [];
  private sent = 0;
  private actors!: Record<SoakKind, RoundActors>;
  private probes: Array<Proxy<SoakProbe>> = [];
  /** the peer is being restarted: losing it is allowed until it answers again */
  private lenient = false;
  private restartsDone = 0;
  private peerUpSeen = 0;
  private onPeerUp: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly o: DriverOptions) {}

  async setup(): Promise<void> {
    setDeadLetterHandler((l) => {
      const key = `${l.kind}/${l.reason}`;
      this.deadLetters[key] = (this.deadLetters[key] ?? 0) + l.count;
    });
    setErrorHandler((e, info) => {
      this.tellErrors++;
      if (this.tellErrorSamples.length < 5)
        this.tellErrorSamples.push(`${info.kind} ${info.actor} ${info.method}: ${e.name}: ${e.message}`);
    });
    setContext('async');
    const local = await createHost('local://soak:7090/async');
    setContext('threads');
    const threads = await createHost('local://soak:7091/threads', { threads: this.o.threads });
    setContext('async');
    const grpc = await createHost(`grpc://127.0.0.1:${await freePort()}/`, { timeout: ASK_TIMEOUT });
    const on = async (h: HostProxy): Promise<RoundActors> => {
      const slow = await h.spawn('slow', SoakSlow);
      return {
        counter: await h.spawn('counter', SoakCounter),
        echo: await h.spawn('echo', SoakEcho),
        slow: slow.withTimeout(SLOW_TIMEOUT),
      };
    };
    const peer = this.o.peerUrl;
    this.actors = {
      async: await on(local),
      threads: await on(threads),
      grpc: {
        counter: await grpc.lookupUrl<SoakCounter>(peer + 'counter', SoakCounter),
        echo: (await grpc.lookupUrl<SoakEcho>(peer + 'echo', SoakEcho)).withTimeout(ASK_TIMEOUT),
        slow: (await grpc.lookupUrl<SoakSlow>(peer + 'slow', SoakSlow)).withTimeout(SLOW_TIMEOUT),
      },
    };
    // one probe per worker thread at least (placement is the runtime's); duplicates are dropped
    for (let i = 0; i < this.o.threads * 2; i++) this.probes.push(await threads.spawn(`probe${i}`, SoakProbe));
    process.on('message', (m: ToDriver) => {
      if (m.type === 'peer-up') {
        this.peerUpSeen = m.n;
        this.onPeerUp?.();
      } else this.stopped = true;
    });
  }

  private async workerHeaps(): Promise<WorkerHeap[]> {
    const got = await Promise.all(
      this.probes.map((p) =>
        p
          .withTimeout(5)
          .heap()
          .then(undefined, () => null),
      ),
    );
    const seen = new Map<number, WorkerHeap>();
    for (const g of got) if (g !== null && !seen.has(g.thread)) seen.set(g.thread, g);
    return [...seen.values()].sort((a, b) => a.thread - b.thread);
  }

  startSampling(): NodeJS.Timeout {
    let busy = false;
    return setInterval(() => {
      if (busy) return;
      busy = true;
      const sample = sampleMemory();
      void this.workerHeaps().then((workers) => {
        busy = false;
        send({ type: 'mem', sample, workers });
      });
    }, 1000);
  }

  /** Asks for restart n and returns once the peer answers again (its counter cleared). */
  private async restartPeer(n: number): Promise<void> {
    this.lenient = true;
    const up = new Promise<void>((resolve) => {
      this.onPeerUp = () => {
        if (this.peerUpSeen >= n) resolve();
      };
    });
    send({ type: 'restart-peer', n, signal: n % 2 === 1 ? 'SIGKILL' : 'SIGTERM' });
    const t0 = Date.now();
    await up;
    const echo = this.actors.grpc.echo.withTimeout(1);
    for (;;) {
      if (Date.now() - t0 > RECOVERY_LIMIT_MS)
        throw new Error(`the gRPC peer did not answer within ${RECOVERY_LIMIT_MS / 1000} s of restart ${n}`);
      try {
        if ((await echo.echo(-n)) === -n) break;
      } catch {
        await sleepMs(100);
      }
    }
    // tells of the rounds cut by the restart may still arrive (re-sent after reconnecting): clear them
    await this.actors.grpc.counter.take();
    this.lenient = false;
    send({ type: 'recovered', n, ms: Date.now() - t0 });
  }

  async run(): Promise<void> {
    const total = this.o.messages;
    const warmAt = Math.floor(total * this.o.warmup);
    // restarts are spread over the measured part of the run (after warm-up)
    const restartAt: number[] = [];
    for (let k = 1; k <= this.o.restarts; k++) restartAt.push(Math.floor(warmAt + ((total - warmAt) * k) / (this.o.restarts + 1)));
    let warm = false;
    // the restart under way, and how it failed (set from its callbacks)
    const pending: { restart: Promise<void> | null; error: Error | null } = { restart: null, error: null };
    let grpcBusyUntil = 0;
    while (this.sent < total && !this.stopped) {
      for (const kind of SOAK_KINDS) {
        if (this.sent >= total) break;
        if (kind === 'grpc' && this.lenient && Date.now() < grpcBusyUntil) continue;
        await this.round(kind);
        // while the peer is away, a gRPC round at most every 100 ms (its asks fail at once)
        if (kind === 'grpc' && this.lenient) grpcBusyUntil = Date.now() + 100;
      }
      if (!warm && this.sent >= warmAt) {
        warm = true;
        send({ type: 'warm', sent: this.sent });
      }
      if (pending.restart === null && this.restartsDone < restartAt.length && this.sent >= restartAt[this.restartsDone]!) {
        const n = ++this.restartsDone;
        pending.restart = this.restartPeer(n).then(
          () => {
            pending.restart = null;
          },
          (e: unknown) => {
            pending.error = e instanceof Error ? e : new Error(String(e));
          },
        );
      }
      if (pending.error !== null) throw pending.error;
      send({ type: 'progress', sent: this.sent, byKind: { ...this.byKind } });
      // let IPC, sampling and gRPC's own work in between cycles
      await new Promise((r) => setImmediate(r));
    }
    // the run ends with every restart done and the peer back and answering
    if (pending.restart !== null) await pending.restart;
    if (pending.error !== null) throw pending.error;
    while (this.restartsDone < restartAt.length && !this.stopped) {
      await this.restartPeer(++this.restartsDone);
      await this.round('grpc');
    }
  }

  private async round(kind: SoakKind): Promise<void> {
    const s = SHAPES[kind];
    await runRound(this.actors[kind], s, this.tallies[kind], kind === 'grpc' ? () => this.lenient : () => false, this.sent);
    const m = roundMessages(s);
    this.sent += m;
    this.byKind[kind] += m;
  }

  report(): FromDriver {
    return {
      type: 'done',
      sent: this.sent,
      byKind: { ...this.byKind },
      tallies: this.tallies,
      deadLetters: this.deadLetters,
      tellErrors: this.tellErrors,
      tellErrorSamples: this.tellErrorSamples,
    };
  }
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]!) as DriverOptions;
  const d = new Driver(o);
  process.on('disconnect', () => process.exit(1));
  await d.setup();
  const sampler = d.startSampling();
  send({ type: 'ready' });
  await d.run();
  clearInterval(sampler);
  send(d.report());
  await shutdown();
  process.disconnect();
}

main().catch((e: unknown) => {
  send({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  setTimeout(() => process.exit(1), 100);
});

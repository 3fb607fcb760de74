/**
 * Intervals and `later` timers end when the actor they call stops (stopActor, or its host
 * shutting down), whichever host they were attached to; an actor spawned later under the
 * same id gets none of their calls.
 */
import {
  Actor,
  Ask,
  Parallel,
  Tell,
  createHost,
  hasRuntime,
  interval,
  later,
  registerRuntime,
  setErrorHandler,
  shutdown,
  type ErrorHandler,
  type HostProxy,
} from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';

if (!hasRuntime('async')) registerRuntime(asyncRuntime);

@Actor
class Ticker {
  private ticks = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  @Tell tick(): void {
    this.ticks++;
    const ready = this.waiters.filter((w) => w.n <= this.ticks);
    this.waiters = this.waiters.filter((w) => w.n > this.ticks);
    for (const w of ready) w.resolve();
  }

  @Ask count(): number {
    return this.ticks;
  }

  /** answers once `n` ticks have arrived */
  @Ask @Parallel async waitTicks(n: number): Promise<number> {
    if (this.ticks < n) await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
    return this.ticks;
  }
}

let port = 0;
const freshUrl = (): string => `local://interval-test:${++port}/host`;
type Report = { error: Error; info: Parameters<ErrorHandler>[1] };
let reports: Report[] = [];
let previous: ErrorHandler;

beforeEach(() => {
  reports = [];
  previous = setErrorHandler((error, info) => reports.push({ error, info }));
});

afterEach(async () => {
  setErrorHandler(previous);
  await shutdown();
});

/** Lets `ticks` ticks of an interval on a clock actor pass (the clock is stopped after). */
async function letTicksPass(h: HostProxy, ticks: number): Promise<void> {
  const clock = await h.spawn('clock', Ticker);
  const iv = interval(h, 0.02, clock, 'tick');
  try {
    expect(await clock.waitTicks(ticks)).toBeGreaterThanOrEqual(ticks);
  } finally {
    iv.cancel();
  }
}

describe('interval and later', () => {
  it('stop when the actor they call is stopped; a new actor under its id gets none of their calls', async () => {
    const h = await createHost(freshUrl());
    const t = await h.spawn('t', Ticker);
    const iv = interval(h, 0.005, t, 'tick');
    const tm = later(0.1, t, 'tick');
    expect(await t.waitTicks(3)).toBeGreaterThanOrEqual(3);
    expect(iv.active).toBe(true);
    expect(tm.pending).toBe(true);

    await h.stopActor('t');
    expect(iv.active).toBe(false);
    expect(tm.pending).toBe(false);

    const again = await h.spawn('t', Ticker);
    await letTicksPass(h, 10);
    expect(await again.count()).toBe(0);
    // nothing was sent at the stopped actor either (each send would be reported)
    expect(reports.filter((r) => r.info.kind === 'tell')).toEqual([]);
  });

  it('do not stop when another actor stops, and stop with their own cancel as before', async () => {
    const h = await createHost(freshUrl());
    const t = await h.spawn('t', Ticker);
    await h.spawn('other', Ticker);
    const iv = interval(h, 0.005, t, 'tick');
    await h.stopActor('other');
    expect(iv.active).toBe(true);
    const n = await t.count();
    expect(await t.waitTicks(n + 2)).toBeGreaterThanOrEqual(n + 2);
    iv.cancel();
    expect(iv.active).toBe(false);
  });

  it("stop when the actor's host shuts down, though they were attached to another host", async () => {
    const a = await createHost(freshUrl());
    const b = await createHost(freshUrl());
    const t = await b.spawn('t', Ticker);
    const iv = interval(a, 0.005, t, 'tick');
    const tm = later(60, t, 'tick');
    expect(await t.waitTicks(2)).toBeGreaterThanOrEqual(2);
    await shutdown(b.getUrl());
    expect(iv.active).toBe(false);
    expect(tm.pending).toBe(false);
    await letTicksPass(a, 5);
    expect(reports.filter((r) => r.info.kind === 'tell')).toEqual([]);
  });
});

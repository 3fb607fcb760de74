/**
 * Intervals and `later` timers end when the actor they call stops, wherever they run: on
 * the main thread, in the worker of that actor, or in another worker. An actor spawned
 * later under the same id gets none of their calls.
 */
import { createHost, interval, later, setContext, setErrorHandler, shutdown, type ErrorHandler, type HostProxy } from 'tsactor';
import { Agent } from './fixtures/actors';

let hosts = 0;
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
  setContext('async');
});

async function threadsHost(): Promise<HostProxy> {
  setContext('threads');
  return createHost(`local://timers-${++hosts}:1/host`, { threads: 2 });
}

describe("intervals and timers aimed at an actor of a 'threads' host", () => {
  it('stop when the actor is stopped, on the main thread, in its worker and in another worker', async () => {
    const h = await threadsHost();
    const agent = await h.spawn('agent', Agent);
    const far = await h.spawn('far', Agent);
    const near = await h.spawn('near', Agent);
    expect(await near.thread()).toBe(await agent.thread());
    expect(await far.thread()).not.toBe(await agent.thread());

    // from the agent's worker: at an actor of the same worker and at one of the other worker
    await agent.aimAt(near, 'tick', 0.005, 0.1);
    await agent.aimAt(far, 'tick', 0.005, 0.1);
    // from the main thread
    const intervals = [interval(h, 0.005, near, 'tick'), interval(h, 0.005, far, 'tick')];
    const timers = [later(0.1, near, 'tick'), later(0.1, far, 'tick')];
    expect(await agent.aimedRunning()).toBe(4);
    // they fire (each interval calls at once, then every 5 ms)
    expect(await near.waitTicks(4)).toBeGreaterThanOrEqual(4);
    expect(await far.waitTicks(4)).toBeGreaterThanOrEqual(4);

    await h.stopActor('near');
    await h.stopActor('far');
    expect(intervals.map((t) => t.active)).toEqual([false, false]);
    expect(timers.map((t) => t.pending)).toEqual([false, false]);
    expect(await agent.aimedRunning()).toBe(0);

    // actors spawned again under the same ids get no call from them while the agent's clock ticks 10 times (200 ms)
    const near2 = await h.spawn('near', Agent);
    const far2 = await h.spawn('far', Agent);
    await agent.startTicking(0.02);
    expect(await agent.waitTicks(10)).toBeGreaterThanOrEqual(10);
    expect(await near2.tickCount()).toBe(0);
    expect(await far2.tickCount()).toBe(0);
    // a tick already on its way to the other worker when `far` stopped is refused there and
    // reported as such; nothing else went wrong with a tell
    const refusedInFlight = /^actor local:\/\/timers-\d+:1\/(near|far) was stopped; tick\(\) was not handled$/;
    expect(reports.filter((r) => r.info.kind === 'tell' && !refusedInFlight.test(r.error.message))).toEqual([]);
  });

  it("stop when the actor's host shuts down, though they were attached to another host", async () => {
    const h = await threadsHost();
    setContext('async');
    const other = await createHost(`local://timers-${++hosts}:1/host`);
    const near = await h.spawn('near', Agent);
    const iv = interval(other, 0.005, near, 'tick');
    const tm = later(60, near, 'tick');
    expect(await near.waitTicks(2)).toBeGreaterThanOrEqual(2);
    await shutdown(h.getUrl());
    expect(iv.active).toBe(false);
    expect(tm.pending).toBe(false);
    expect(await other.hasActor('near')).toBe(false);
  });
});

/**
 * A worker that dies (an actor calls process.exit, or an error escapes in a timer) does not
 * take the host down: asks pending on its actors reject promptly with HostDownError, from the
 * main thread and from other workers; later calls to them fail with NotFoundError; the other
 * workers' actors go on; the failure is reported once; the lost actors are unregistered
 * (their ids are free), the intervals and timers aimed at them stop, and a fresh worker
 * takes the slot.
 */
import {
  HostDownError,
  NotFoundError,
  createHost,
  interval,
  later,
  setContext,
  setErrorHandler,
  shutdown,
  watch,
  type ErrorHandler,
  type HostProxy,
  type StopReason,
} from 'tsactor';
import { getLocalHost } from '@tsactor/core/internal';
import { ThreadRuntime } from '@tsactor/runtime-threads';
import { Agent, Counter, Crasher } from './fixtures/actors';

const PROMPT_MS = 2000;

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

/** The outcome of `p`, or 'pending' if it has not settled within PROMPT_MS. */
async function promptly(p: PromiseLike<unknown>): Promise<{ ok: boolean; value: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), PROMPT_MS);
  });
  try {
    return await Promise.race([
      Promise.resolve(p).then(
        (value) => ({ ok: true, value }),
        (value: unknown) => ({ ok: false, value }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function runtimeOf(host: HostProxy): ThreadRuntime {
  const local = getLocalHost(host.getUrl());
  if (local === undefined || !(local.runtime instanceof ThreadRuntime)) throw new Error('not a threads host');
  return local.runtime;
}

async function rejection(p: PromiseLike<unknown>): Promise<Error> {
  const o = await promptly(p);
  if (o === 'pending') throw new Error(`still pending after ${PROMPT_MS} ms`);
  if (o.ok) throw new Error(`expected a rejection, got ${String(o.value)}`);
  return o.value as Error;
}

/**
 * Slot 0: the crasher and a bystander on the same worker; slot 1: a counter and an agent.
 */
async function setup(): Promise<{
  h: HostProxy;
  crasher: Awaited<ReturnType<typeof spawnCrasher>>;
  bystander: Awaited<ReturnType<typeof spawnCrasher>>;
  counter: Awaited<ReturnType<typeof spawnCounter>>;
  agent: Awaited<ReturnType<typeof spawnAgent>>;
}> {
  setContext('threads');
  const h = await createHost(`local://death-${++hosts}:1/host`, { threads: 2 });
  const crasher = await spawnCrasher(h, 'crasher');
  const counter = await spawnCounter(h, 'counter');
  const bystander = await spawnCrasher(h, 'bystander');
  const agent = await spawnAgent(h, 'agent');
  expect(await crasher.thread()).toBe(await bystander.thread());
  expect(await counter.thread()).toBe(await agent.thread());
  expect(await crasher.thread()).not.toBe(await counter.thread());
  return { h, crasher, bystander, counter, agent };
}
const spawnCrasher = (h: HostProxy, id: string) => h.spawn(id, Crasher);
const spawnCounter = (h: HostProxy, id: string) => h.spawn(id, Counter);
const spawnAgent = (h: HostProxy, id: string) => h.spawn(id, Agent);

describe.each([
  ['an actor calls process.exit', (c: Awaited<ReturnType<typeof spawnCrasher>>) => c.exit(3), /exited with code 3/],
  [
    'an error escapes in a timer',
    (c: Awaited<ReturnType<typeof spawnCrasher>>) => c.throwInTimer('boom in a timer'),
    /uncaught RangeError: boom in a timer/,
  ],
] as const)('a worker dies when %s', (_what, kill, why) => {
  it('fails pending and later asks to its actors promptly with HostDownError, from the main thread and from other workers', async () => {
    const { crasher, bystander, agent } = await setup();
    const fromMain = bystander.withTimeout(null).never();
    const fromWorker = agent.withTimeout(null).waitOn(bystander);
    // the agent's ask has reached the bystander's worker before the crash
    await agent.thread();
    kill(crasher);
    const e1 = await rejection(fromMain);
    expect(e1).toBeInstanceOf(HostDownError);
    expect(e1.message).toMatch(why);
    const e2 = await rejection(fromWorker);
    expect(e2).toBeInstanceOf(HostDownError);
    // the actors are gone: new asks fail at once with NotFoundError, from both sides
    const e3 = await rejection(bystander.thread());
    expect(e3).toBeInstanceOf(NotFoundError);
    expect(e3.message).toContain("'bystander'");
    expect(await rejection(agent.waitOn(crasher))).toBeInstanceOf(NotFoundError);
    expect(await rejection(agent.waitOn(bystander))).toBeInstanceOf(NotFoundError);
    // a tell does not throw; it is reported
    expect(() => crasher.exit(0)).not.toThrow();
    agent.pokeOther(crasher);
    // the agent's ask follows its tell to the crasher
    expect(await rejection(agent.waitOn(crasher))).toBeInstanceOf(NotFoundError);
    const tells = reports.filter((r) => r.info.kind === 'tell');
    expect(tells.map((r) => [r.error.constructor, r.info.actor, r.info.method])).toEqual([
      [NotFoundError, crasher.getUrl(), 'exit'],
      [NotFoundError, crasher.getUrl(), 'poke'],
    ]);
  });

  it("notifies the watchers of the lost actors once, with 'host-down'; the survivors' watchers hear nothing", async () => {
    const { crasher, bystander, counter } = await setup();
    const heard: Array<[string, StopReason]> = [];
    let resolveBoth!: () => void;
    const both = new Promise<void>((r) => (resolveBoth = r));
    const record = (ref: unknown, reason: StopReason): void => {
      heard.push([(ref as { getId(): string }).getId(), reason]);
      if (heard.length === 2) resolveBoth();
    };
    watch(crasher, record);
    watch(bystander, record);
    watch(counter, record);
    const pending = bystander.withTimeout(null).never();
    kill(crasher);
    expect(await rejection(pending)).toBeInstanceOf(HostDownError);
    await both;
    // the survivor still answers, and its watcher heard nothing
    expect(await counter.thread()).toBeGreaterThan(0);
    expect(heard.sort()).toEqual([
      ['bystander', 'host-down'],
      ['crasher', 'host-down'],
    ]);
  });

  it('keeps the other workers and the host working, reports the death once, unregisters the lost actors and replaces the worker', async () => {
    const { h, crasher, bystander, counter, agent } = await setup();
    const runtime = runtimeOf(h);
    const oldThread = await crasher.thread();
    const survivor = await counter.thread();
    expect(runtime.workerThreadIds()).toEqual([oldThread, survivor]);
    const pending = bystander.withTimeout(null).never();
    // the agent's worker learns where the bystander lives
    const fromWorker = agent.withTimeout(null).waitOn(bystander);
    await agent.thread();
    kill(crasher);
    expect(await rejection(pending)).toBeInstanceOf(HostDownError);
    expect(await rejection(fromWorker)).toBeInstanceOf(HostDownError);

    // the other worker's actors go on, and so does the host
    counter.add('still here');
    expect(await counter.received()).toEqual(['still here']);
    expect(await agent.sendMany(counter, 3)).toEqual(['still here', 0, 1, 2]);

    const deaths = reports.filter((r) => r.info.kind === 'internal' && r.error instanceof HostDownError);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]!.error.message).toContain('worker thread 0');
    expect(deaths[0]!.error.message).toMatch(why);
    expect(deaths[0]!.error.message).toContain("'crasher', 'bystander'");
    expect(deaths[0]!.info.actor).toBe(h.getUrl());

    // the lost actors are unregistered: their ids are free, stopping them finds nothing
    expect(await h.hasActor('crasher')).toBe(false);
    expect(await h.hasActor('bystander')).toBe(false);
    expect(await h.hasActor('counter')).toBe(true);
    expect(await rejection(h.stopActor('crasher'))).toBeInstanceOf(NotFoundError);

    // a fresh worker has taken the slot: the pool keeps its size
    const threads = runtime.workerThreadIds();
    expect(threads).toHaveLength(2);
    expect(threads[1]).toBe(survivor);
    expect(threads[0]).not.toBe(oldThread);
    expect(threads[0]).toBeGreaterThan(0);

    // new spawns land on it (round robin: slot 0 is next), the lost ids among them
    const reborn = await h.spawn('bystander', Counter);
    expect(await reborn.thread()).toBe(threads[0]);
    const again = await h.spawn('crasher', Crasher);
    expect(await again.thread()).toBe(survivor);
    // the surviving worker dropped its route to the old 'bystander' and finds the new one
    expect(await agent.sendMany(reborn, 2)).toEqual([0, 1]);
    expect(await agent.sendMany(counter, 1)).toEqual(['still here', 0, 1, 2, 0]);
    expect(reports.filter((r) => r.info.kind === 'internal')).toHaveLength(1);
  });

  it('stops the intervals and timers aimed at its actors, on the main thread and in the other workers', async () => {
    const { h, crasher, bystander, agent } = await setup();
    const iv = interval(h, 0.005, bystander, 'poke');
    const tm = later(60, bystander, 'poke');
    await agent.aimAt(bystander, 'poke', 0.005, 60);
    expect(await agent.aimedRunning()).toBe(2);
    expect(iv.active).toBe(true);
    const pending = bystander.withTimeout(null).never();
    kill(crasher);
    expect(await rejection(pending)).toBeInstanceOf(HostDownError);

    expect(iv.active).toBe(false);
    expect(tm.pending).toBe(false);
    expect(await agent.aimedRunning()).toBe(0);
    // nothing more is sent at the lost actor (each send would be reported) while the agent's clock ticks
    const tellReports = (): number => reports.filter((r) => r.info.kind === 'tell').length;
    const before = tellReports();
    await agent.startTicking(0.01);
    expect(await agent.waitTicks(10)).toBeGreaterThanOrEqual(10);
    expect(tellReports()).toBe(before);
  });
});

/**
 * A worker that dies (an actor calls process.exit, or an error escapes in a timer) does not
 * take the host down: asks pending on its actors reject promptly with HostDownError, from the
 * main thread and from other workers; the other workers' actors go on; the failure is
 * reported once; stopping the lost actors frees their ids, and a new worker takes the slot.
 */
import { HostDownError, createHost, setContext, setErrorHandler, shutdown, type ErrorHandler, type HostProxy } from 'tsactor';
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

async function rejection(p: PromiseLike<unknown>): Promise<Error> {
  const o = await promptly(p);
  if (o === 'pending') throw new Error(`still pending after ${PROMPT_MS} ms`);
  if (o.ok) throw new Error(`expected a rejection, got ${String(o.value)}`);
  return o.value as Error;
}

/**
 * Slot 0: the crasher and a bystander on the same worker; slot 1: a counter and an agent.
 */
async function setup(): Promise<{ h: HostProxy; crasher: Awaited<ReturnType<typeof spawnCrasher>>; bystander: Awaited<ReturnType<typeof spawnCrasher>>; counter: Awaited<ReturnType<typeof spawnCounter>>; agent: Awaited<ReturnType<typeof spawnAgent>> }> {
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
  ['an error escapes in a timer', (c: Awaited<ReturnType<typeof spawnCrasher>>) => c.throwInTimer('boom in a timer'), /uncaught RangeError: boom in a timer/],
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
    // new asks fail at once too, from both sides
    expect(await rejection(bystander.thread())).toBeInstanceOf(HostDownError);
    expect(await rejection(agent.waitOn(crasher))).toBeInstanceOf(HostDownError);
    // a tell does not throw
    expect(() => crasher.exit(0)).not.toThrow();
  });

  it('keeps the other workers and the host working, reports the death once, and lets the lost ids be reused', async () => {
    const { h, crasher, bystander, counter, agent } = await setup();
    const oldThread = await crasher.thread();
    const pending = bystander.withTimeout(null).never();
    kill(crasher);
    await rejection(pending);

    // the other worker's actors go on, and so does the host
    counter.add('still here');
    expect(await counter.received()).toEqual(['still here']);
    expect(await agent.sendMany(counter, 3)).toEqual(['still here', 0, 1, 2]);
    expect(await h.hasActor('crasher')).toBe(true);

    const deaths = reports.filter((r) => r.info.kind === 'internal' && r.error instanceof HostDownError);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]!.error.message).toContain('worker thread 0');
    expect(deaths[0]!.error.message).toMatch(why);
    expect(deaths[0]!.error.message).toContain("'crasher', 'bystander'");
    expect(deaths[0]!.info.actor).toBe(h.getUrl());

    // stopping the lost actors frees their ids; a new worker takes the slot
    await h.stopActor('crasher');
    await h.stopActor('bystander');
    const fresh = await h.spawn('fresh', Counter);
    const newThread = await fresh.thread();
    expect(newThread).not.toBe(oldThread);
    expect(newThread).not.toBe(await counter.thread());
    // the surviving worker reaches the actors of the new one
    expect(await agent.sendMany(fresh, 2)).toEqual([0, 1]);
    const again = await h.spawn('crasher', Crasher);
    expect(await again.thread()).toBe(await agent.thread());
    expect(reports.filter((r) => r.info.kind === 'internal')).toHaveLength(1);
  });
});

/**
 * The 'threads' runtime: placement on worker threads, the direct path inside one worker,
 * values and references across threads, everything an actor does from a worker, the errors
 * of classes a worker cannot load, and shutdown.
 */
import * as os from 'node:os';
import { threadId } from 'node:worker_threads';
import { ActorError, HostError, createHost, interval, setContext, shutdown, type HostProxy } from 'tsactor';
import { getLocalHost } from '@tsactor/core/internal';
import { ThreadRuntime, workerExecArgv } from '@tsactor/runtime-threads';
import { Agent, Counter, Keeper, Money, hiddenClass } from './fixtures/actors';
import { MainOnly } from './fixtures/unloadable';

let hosts = 0;

async function threadsHost(threads?: number): Promise<HostProxy> {
  setContext('threads');
  const url = `local://threads-test-${++hosts}:1/host`;
  return createHost(url, threads === undefined ? {} : { threads });
}

function runtimeOf(host: HostProxy): ThreadRuntime {
  const local = getLocalHost(host.getUrl());
  if (local === undefined || !(local.runtime instanceof ThreadRuntime)) throw new Error('not a threads host');
  return local.runtime;
}

async function failure(p: PromiseLike<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

let ids = 0;
/** a fresh actor id */
const id = (prefix: string): string => `${prefix}-${++ids}`;

// Workers take a moment to start: most tests share these two hosts (with 2 workers, two
// actors spawned one after the other always land on different workers).
let one: HostProxy;
let two: HostProxy;

beforeAll(async () => {
  one = await threadsHost(1);
  two = await threadsHost(2);
});

afterAll(async () => {
  await shutdown();
  setContext('async');
});

describe('placement', () => {
  it('has one worker per core by default and places actors round robin, off the main thread', async () => {
    const h = await threadsHost();
    expect(runtimeOf(h).size).toBe(os.availableParallelism());
    await shutdown(h.getUrl());
    const names = [id('a'), id('b'), id('c')];
    const [a, b, c] = [await two.spawn(names[0]!, Counter), await two.spawn(names[1]!, Counter), await two.spawn(names[2]!, Counter)];
    const [ta, tb, tc] = [await a.thread(), await b.thread(), await c.thread()];
    expect(ta).not.toBe(threadId);
    expect(tb).not.toBe(threadId);
    expect(ta).not.toBe(tb);
    expect(tc).toBe(ta);
    const slots = names.map((n) => runtimeOf(two).workerOf(n));
    expect(slots[0]).toBe(slots[2]);
    expect(slots[0]).not.toBe(slots[1]);
  });

  it('puts every actor on one worker with threads: 1', async () => {
    const a = await one.spawn(id('a'), Counter);
    const b = await one.spawn(id('b'), Counter);
    expect(await a.thread()).toBe(await b.thread());
  });

  it('refuses a pool size that is not a whole number from 1 to 256', async () => {
    setContext('threads');
    for (const threads of [0, 1.5, -2, 1000, Number.NaN]) {
      const e = await failure(createHost(`local://bad-threads-${++hosts}:1/host`, { threads }));
      expect(e).toBeInstanceOf(HostError);
      expect((e as HostError).code).toBe('BAD_OPTION');
      expect(e.message).toContain('options.threads');
    }
  });

  it("accepts the alias 'thread'", async () => {
    setContext('thread');
    const h = await createHost(`local://alias-${++hosts}:1/host`, { threads: 1 });
    expect(runtimeOf(h)).toBeInstanceOf(ThreadRuntime);
    await shutdown(h.getUrl());
  });
});

describe('the direct path inside one worker', () => {
  it('hands the very object from actor to actor on one worker, and a copy across workers', async () => {
    const a = await one.spawn(id('a'), Keeper);
    const b = await one.spawn(id('b'), Keeper);
    expect(await a.shareWith(b)).toBe('changed after sending');

    const c = await two.spawn(id('c'), Keeper);
    const d = await two.spawn(id('d'), Keeper);
    expect(await c.thread()).not.toBe(await d.thread());
    expect(await c.shareWith(d)).toBe('original');
  });

  it('carries what cannot be serialized (a function) only inside one worker', async () => {
    const a = await one.spawn(id('a'), Keeper);
    const b = await one.spawn(id('b'), Keeper);
    expect(await a.callFn(b)).toBe('ran');

    const c = await two.spawn(id('c'), Keeper);
    const d = await two.spawn(id('d'), Keeper);
    const e = await failure(c.callFn(d));
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('NOT_SERIALIZABLE');
    expect(e.message).toContain('Keeper.run');
  });
});

describe('values and references across threads', () => {
  const value = (): Record<string, unknown> => ({
    map: new Map<string, unknown>([['k', [1, { deep: true }]]]),
    set: new Set([1, 'two']),
    date: new Date(1_700_000_000_000),
    bytes: new Uint8Array([1, 2, 3]),
    buffer: Buffer.from('buf'),
    money: new Money(1234n, 'EUR'),
    error: new RangeError('out of range'),
    big: 2n ** 70n,
    missing: undefined,
  });

  it('keeps what structured clone keeps, errors and registered classes, main -> worker -> worker', async () => {
    const agent = await two.spawn(id('agent'), Agent);
    const counter = await two.spawn(id('counter'), Counter);
    expect(await counter.inspect(value())).toEqual({
      map: true,
      set: true,
      date: true,
      bytes: true,
      buffer: true,
      money: true,
      error: true,
    });
    expect(await agent.relayInspect(counter, value())).toEqual({
      map: true,
      set: true,
      date: true,
      bytes: true,
      buffer: true,
      money: true,
      error: true,
    });
    const back = (await agent.relay(counter, value())) as Record<string, unknown>;
    expect(back.map).toEqual(new Map([['k', [1, { deep: true }]]]));
    expect(back.set).toEqual(new Set([1, 'two']));
    expect(back.date).toEqual(new Date(1_700_000_000_000));
    expect(Buffer.isBuffer(back.buffer) && back.buffer.toString()).toBe('buf');
    expect(back.money).toBeInstanceOf(Money);
    expect((back.money as Money).format()).toBe('1234 EUR');
    expect(back.error).toBeInstanceOf(RangeError);
    expect(back.big).toBe(2n ** 70n);
    expect('missing' in back).toBe(true);
  });

  it('keeps the order of tells and asks from an actor on one worker to an actor on another', async () => {
    const agent = await two.spawn(id('agent'), Agent);
    const counter = await two.spawn(id('counter'), Counter);
    expect(await agent.thread()).not.toBe(await counter.thread());
    const n = 5000;
    expect(await agent.sendMany(counter, n)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('refuses a proxy given to a method without @Ref, naming the method and @Ref: asks reject, tells throw', async () => {
    const a = await two.spawn(id('a'), Counter);
    const b = await two.spawn(id('b'), Counter);
    const e = await failure(a.echo(b));
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('REF_REQUIRED');
    expect(e.message).toContain('Counter.echo');
    expect(e.message).toContain('@Ref');
    expect(() => a.add(b)).toThrow(/Counter\.add.*@Ref/);
    // from a worker to an actor on another worker
    const agent = await two.spawn(id('agent'), Agent);
    const c = await two.spawn(id('c'), Counter);
    expect(await agent.thread()).not.toBe(await c.thread());
    const e2 = await failure(agent.passWithoutRef(c));
    expect((e2 as ActorError).code).toBe('REF_REQUIRED');
    expect(e2.message).toContain('Counter.echo');
    // nothing was delivered, and the actors go on
    expect(await a.count()).toBe(0);
  });
});

describe('actors in workers', () => {
  it('spawn, look up, tell, stop and query through their host', async () => {
    const agent = await two.spawn(id('agent'), Agent);
    const peerId = id('peer');
    const peer = await agent.spawnPeer(peerId);
    expect(peer.getUrl()).toBe(two.getUrl().replace(/host$/, peerId));
    expect(await peer.thread()).not.toBe(threadId);
    expect(await agent.lookupAndTell(peerId, 'hello')).toBe(1);
    expect(await peer.received()).toEqual(['hello']);
    expect(await agent.stopPeer(peerId)).toBe(false);
    expect(await two.hasActor(peerId)).toBe(false);
  });

  it('run intervals and later timers in their worker, and can be driven by an interval from the main thread', async () => {
    const agent = await one.spawn(id('agent'), Agent);
    await agent.startTicking(0.01);
    expect(await agent.waitTicks(3)).toBeGreaterThanOrEqual(3);
    const stoppedAt = await agent.stopTicking();
    await agent.scheduleLater(0.01);
    expect(await agent.waitTicks(stoppedAt + 1)).toBeGreaterThan(stoppedAt);
    const iv = interval(one, 0.01, agent, 'tick');
    try {
      expect(await agent.waitTicks(stoppedAt + 4)).toBeGreaterThanOrEqual(stoppedAt + 4);
    } finally {
      iv.cancel();
    }
  });

  it('run a future callback in the worker of the actor that asked', async () => {
    const agent = await two.spawn(id('agent'), Agent);
    const counter = await two.spawn(id('counter'), Counter);
    const agentThread = await agent.thread();
    expect(agentThread).not.toBe(await counter.thread());
    await agent.askWithCallback(counter, 'answer');
    expect(await agent.eventsAfter(1)).toEqual([{ value: 'answer', thread: agentThread }]);
  });

  it("can run an 'async' host of their own, but not a 'threads' one (an unguarded program entry would start it)", async () => {
    const agent = await one.spawn(id('agent'), Agent);
    expect(await agent.ownHost('async')).toBe(1);
    const e = await failure(agent.ownHost('threads'));
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('HOST_IN_WORKER');
    expect(e.message).toContain('require.main === module');
  });
});

describe('classes a worker cannot load', () => {
  it('explains how to export a class that no module exports', async () => {
    const e = await failure(one.spawn('hidden', hiddenClass()));
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('CLASS_NOT_EXPORTED');
    expect(e.message).toContain('export class Hidden');
    expect(e.message).toContain('actors.ts');
    expect(await one.hasActor('hidden')).toBe(false);
  });

  it('names the module and its error when the module cannot be imported in a worker', async () => {
    const e = await failure(one.spawn('main-only', MainOnly));
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('CLASS_LOAD_FAILED');
    expect(e.message).toContain('unloadable.ts');
    expect(e.message).toContain('this module refuses to load in a worker thread');
    expect(e.message).toContain('export class MainOnly');
    // the pool is fine: other classes still spawn
    const c = await one.spawn(id('counter'), Counter);
    expect(await c.count()).toBe(0);
  });
});

describe('shutdown', () => {
  it('terminates every worker of the host', async () => {
    const h = await threadsHost(2);
    const a = await h.spawn(id('a'), Counter);
    await h.spawn(id('b'), Counter);
    expect(await a.count()).toBe(0);
    const runtime = runtimeOf(h);
    const ids = runtime.workerThreadIds();
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => id > 0)).toBe(true);
    await shutdown(h.getUrl());
    expect(runtime.workerThreadIds()).toEqual([-1, -1]);
  });

  it('lets the actors handle the messages sent to them before it', async () => {
    setContext('async');
    const sinkHost = await createHost(`local://threads-sink-${++hosts}:1/host`);
    const sink = await sinkHost.spawn('sink', Counter);
    const h = await threadsHost(2);
    const agents = [await h.spawn(id('agent'), Agent), await h.spawn(id('agent'), Agent)];
    for (let i = 0; i < 200; i++) agents[i % 2]!.forward(sink, i);
    await shutdown(h.getUrl());
    expect(((await sink.received()) as number[]).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("starts workers without ts-node's require hook (they have their own TypeScript loader)", () => {
    expect(
      workerExecArgv(['-r', 'ts-node/register/transpile-only', '--stack-size=2000', '--require=ts-node/register', '--require', 'x']),
    ).toEqual(['--stack-size=2000', '--require', 'x']);
  });
});

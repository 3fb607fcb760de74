/**
 * Spawn and lookup from the host's own thread are handled at once when the host has nothing
 * queued and nothing under way; what a caller can observe is the same as through the host's
 * mailbox: the order with the host's other messages, AlreadyExistsError, NotFoundError,
 * onStart and its failure, and an idle actor's size.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { Actor, ActorBase, AlreadyExistsError, Ask, NotFoundError, createHost, shutdown, type HostProxy, type Proxy } from 'tsactor';

const log: string[] = [];
let openGate: () => void = () => undefined;

@Actor
export class Plain {
  @Ask ping(): number {
    return 1;
  }
}

@Actor
export class Plain2 {
  @Ask ping(): number {
    return 2;
  }
}

@Actor
export class Starting {
  constructor() {
    log.push('constructed');
  }
  onStart(): void {
    log.push('onStart');
  }
  @Ask ping(): number {
    return 3;
  }
}

@Actor
export class FailingStart {
  onStart(): void {
    throw new RangeError('no start');
  }
  onStop(): void {
    log.push('onStop of FailingStart');
  }
  @Ask ping(): number {
    return 4;
  }
}

@Actor
export class AsyncFailingStart {
  async onStart(): Promise<void> {
    await Promise.resolve();
    throw new RangeError('no async start');
  }
  @Ask ping(): number {
    return 5;
  }
}

@Actor
export class GatedStart {
  async onStart(): Promise<void> {
    log.push('gated onStart begins');
    await new Promise<void>((resolve) => (openGate = resolve));
    log.push('gated onStart ends');
  }
  @Ask ping(): number {
    return 6;
  }
}

@Actor
export class Logged {
  constructor() {
    log.push('Logged constructed');
  }
  @Ask ping(): number {
    return 7;
  }
}

/** Looks itself up from its constructor: that lookup must wait for the spawn that made it. */
@Actor
export class SelfFinder extends ActorBase {
  private readonly found: PromiseLike<Proxy<SelfFinder>>;
  constructor() {
    super();
    this.found = this.host.lookup<SelfFinder>(this.id);
  }
  @Ask async foundUrl(): Promise<string> {
    return (await this.found).getUrl();
  }
}

/** Spawns from inside an actor method (the host's thread, through the dispatcher). */
@Actor
export class Spawner extends ActorBase {
  @Ask async spawnAndPing(id: string): Promise<number> {
    const child = await this.host.spawn(id, Plain);
    return child.ping();
  }
}

let port = 7460;
let h: HostProxy;

beforeEach(async () => {
  log.length = 0;
  h = await createHost(`local://local:${++port}/host`);
});

afterEach(async () => {
  await shutdown();
});

describe('spawn and lookup from the host thread', () => {
  it('are answered at once when the host has nothing queued', async () => {
    const spawned = h.spawn('a', Plain);
    expect(spawned.done()).toBe(true);
    const a = await spawned;
    expect(await a.ping()).toBe(1);
    const found = h.lookup<Plain>('a');
    expect(found.done()).toBe(true);
    expect((await found).getUrl()).toBe(a.getUrl());
  });

  it('are handled after a host call queued before them', async () => {
    const had = h.hasActor('b');
    const spawned = h.spawn('b', Plain);
    expect(spawned.done()).toBe(false);
    expect(await had).toBe(false);
    expect(await (await spawned).ping()).toBe(1);
    expect(await h.hasActor('b')).toBe(true);
  });

  it('keep the order with a queued stopActor: a spawn of the same id after it succeeds', async () => {
    await h.spawn('c', Plain);
    const stopped = h.stopActor('c');
    const again = h.spawn('c', Plain2);
    const lookedUp = h.lookup<Plain2>('c');
    await stopped;
    expect(await (await again).ping()).toBe(2);
    expect(await (await lookedUp).ping()).toBe(2);
  });

  it('reject a second spawn of an id with AlreadyExistsError, a lookup of an unknown id with NotFoundError', async () => {
    const first = h.spawn('d', Plain);
    const second = h.spawn('d', Plain2);
    await expect(second).rejects.toThrow(AlreadyExistsError);
    await expect(second).rejects.toThrow(/'d' already exists/);
    expect(await (await first).ping()).toBe(1);
    await expect(h.lookup('nobody')).rejects.toThrow(NotFoundError);
  });

  it('run onStart before the spawn answers, and a throw there fails the spawn and frees the id', async () => {
    const s = await h.spawn('e', Starting);
    expect(log).toEqual(['constructed', 'onStart']);
    expect(await s.ping()).toBe(3);

    await expect(h.spawn('f', FailingStart)).rejects.toThrow(RangeError);
    await expect(h.spawn('f', FailingStart)).rejects.toThrow('no start');
    expect(log).not.toContain('onStop of FailingStart');
    expect(await h.hasActor('f')).toBe(false);
    await expect(h.spawn('g', AsyncFailingStart)).rejects.toThrow('no async start');
    expect(await h.hasActor('g')).toBe(false);
    expect(await (await h.spawn('f', Plain)).ping()).toBe(1);
  });

  it('wait while an async onStart holds the host, as queued messages do', async () => {
    const gated = h.spawn('h1', GatedStart);
    expect(log).toEqual(['gated onStart begins']);
    const next = h.spawn('h2', Logged);
    const lookup = h.lookup('h1');
    expect(next.done()).toBe(false);
    // the host is held: the second spawn has not built its actor
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['gated onStart begins']);
    openGate();
    expect(await (await gated).ping()).toBe(6);
    expect(await (await next).ping()).toBe(7);
    expect((await lookup).getUrl()).toMatch(/\/h1$/);
    expect(log).toEqual(['gated onStart begins', 'gated onStart ends', 'Logged constructed']);
  });

  it("queue what the spawned actor's constructor asks of the host behind the spawn itself", async () => {
    const s = await h.spawn('self', SelfFinder);
    expect(await s.foundUrl()).toBe(s.getUrl());
  });

  it('work from inside an actor method', async () => {
    const spawner = await h.spawn('spawner', Spawner);
    expect(await spawner.spawnAndPing('child')).toBe(1);
    await expect(spawner.spawnAndPing('child')).rejects.toThrow(AlreadyExistsError);
  });
});

/**
 * The heap an idle actor adds, measured in a process of its own: in a jest worker, what the
 * test files before this one left behind (compiled code, caches) can be released between the
 * two readings and hide the actors' own growth.
 */
const MEASURE_IDLE_ACTORS = `
const tsactor = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'tsactor'))});
class Plain {
  ping() {
    return 1;
  }
}
tsactor.Ask(Plain.prototype, 'ping', Object.getOwnPropertyDescriptor(Plain.prototype, 'ping'));
tsactor.Actor(Plain);
const fullGc = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
};
(async () => {
  const h = await tsactor.createHost('local://local:7901/host');
  const n = 20000;
  // warm up: classes, prototypes, the host's map past its first sizes
  for (let i = 0; i < 1000; i++) await h.spawn('w' + i, Plain);
  const before = await fullGc();
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < i + 1000; j++) batch.push(h.spawn('m' + j, Plain));
    await Promise.all(batch);
  }
  const after = await fullGc();
  const last = await h.hasActor('m' + (n - 1));
  await tsactor.shutdown();
  console.log(JSON.stringify({ last, perActor: (after - before) / n }));
})();
`;

/**
 * Proxies from spawn and lookup (never used to send) outlive their actor, which is stopped;
 * prints whether the actor's instance was collected, with what the proxies still tell.
 */
const HOLD_STOPPED_ACTOR = `
const tsactor = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'tsactor'))});
let ref = null;
class Big {
  constructor() {
    this.data = new Array(100000).fill(7);
    ref = new WeakRef(this);
  }
  ping() {
    return 1;
  }
}
tsactor.Ask(Big.prototype, 'ping', Object.getOwnPropertyDescriptor(Big.prototype, 'ping'));
tsactor.Actor(Big);
(async () => {
  const h = await tsactor.createHost('local://local:7902/host');
  const spawned = await h.spawn('big', Big);
  const looked = await h.lookup('big');
  await h.stopActor('big');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const collected = ref.deref() === undefined;
  const urls = [spawned.getUrl(), looked.getUrl()];
  await tsactor.shutdown();
  console.log(JSON.stringify({ collected, urls }));
})();
`;

/** Runs `script` in a node process of its own with --expose-gc; returns what it printed, parsed. */
async function runWithGc<T>(script: string): Promise<T> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '-e', script],
      { timeout: 60_000, env: { ...process.env, TSACTOR_CONTEXT: '' } },
      (err, out, stderr) => (err ? reject(new Error(`the measuring process failed: ${err.message}\n${stderr}`)) : resolve(out)),
    );
  });
  return JSON.parse(stdout) as T;
}

describe('a stopped actor', () => {
  it('is not kept alive by the proxies to it from spawn and lookup', async () => {
    const { collected, urls } = await runWithGc<{ collected: boolean; urls: string[] }>(HOLD_STOPPED_ACTOR);
    expect(urls).toEqual(['local://local:7902/big', 'local://local:7902/big']);
    expect(collected).toBe(true);
  }, 90_000);
});

describe('an idle actor', () => {
  it('costs at most 400 bytes of heap, its host bookkeeping included', async () => {
    const { last, perActor } = await runWithGc<{ last: boolean; perActor: number }>(MEASURE_IDLE_ACTORS);
    expect(last).toBe(true);
    expect(perActor).toBeGreaterThan(0);
    expect(perActor).toBeLessThanOrEqual(400);
  }, 90_000);
});

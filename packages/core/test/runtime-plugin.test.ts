/**
 * A runtime registered by a third party is a context like the built-in ones: setContext and
 * TSACTOR_CONTEXT choose it by its name or an alias, and hosts then run their actors on it.
 */
import {
  Actor,
  Ask,
  HostError,
  createHost,
  getContext,
  hasRuntime,
  registerRuntime,
  setContext,
  shutdown,
  spawnCell,
  type HostBinding,
  type Runtime,
  type RuntimePlugin,
  type SpawnedActor,
  type SpawnRequest,
} from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';

if (!hasRuntime('async')) registerRuntime(asyncRuntime);

/** What the plugin saw: the hosts it served and the actors it created. */
const seen = { hosts: [] as string[], spawned: [] as string[], shutdowns: [] as string[] };

/** A runtime that keeps its actors on the event loop and records what it is asked to do. */
class RecordingRuntime implements Runtime {
  constructor(private readonly host: HostBinding) {
    seen.hosts.push(host.url);
  }
  spawn(req: SpawnRequest): SpawnedActor | Promise<SpawnedActor> {
    seen.spawned.push(req.url);
    return spawnCell(req, this.host.options.timeout ?? 10);
  }
  async shutdown(): Promise<void> {
    seen.shutdowns.push(this.host.url);
  }
}

const recording: RuntimePlugin = {
  name: 'recording',
  aliases: ['rec', 'tape'],
  create: (host) => new RecordingRuntime(host),
};
registerRuntime(recording);

@Actor
class Echo {
  @Ask echo(v: unknown): unknown {
    return v;
  }
}

let port = 7900;
const freshUrl = (): string => `local://local:${port++}/host`;

/** Creates a host in the current context, spawns an Echo on it and asks it once. */
async function roundTrip(): Promise<{ url: string; answer: unknown }> {
  const url = freshUrl();
  const h = await createHost(url);
  const echo = await h.spawn('echo', Echo);
  const answer = await echo.echo('hi');
  await shutdown(url);
  return { url, answer };
}

describe('a third-party runtime plugin', () => {
  const saved = process.env.TSACTOR_CONTEXT;
  beforeEach(() => {
    delete process.env.TSACTOR_CONTEXT;
    seen.hosts.length = seen.spawned.length = seen.shutdowns.length = 0;
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.TSACTOR_CONTEXT;
    else process.env.TSACTOR_CONTEXT = saved;
    setContext('async');
    await shutdown();
  });

  it.each(['recording', 'rec', 'tape'])("is chosen by setContext('%s'), and hosts run their actors on it", async (name) => {
    setContext(name);
    expect(getContext()).toBe('recording');
    const { url, answer } = await roundTrip();
    expect(answer).toBe('hi');
    expect(seen.hosts).toEqual([url]);
    expect(seen.spawned).toEqual([url.replace(/host$/, 'echo')]);
    expect(seen.shutdowns).toEqual([url]);
  });

  it.each(['recording', 'tape'])('is chosen by TSACTOR_CONTEXT=%s, over the context the program sets', async (name) => {
    process.env.TSACTOR_CONTEXT = name;
    setContext('async');
    expect(getContext()).toBe('recording');
    const { url, answer } = await roundTrip();
    expect(answer).toBe('hi');
    expect(seen.hosts).toEqual([url]);
    expect(seen.spawned).toHaveLength(1);
  });

  it('leaves the other contexts alone: after setContext back to async, hosts no longer use it', async () => {
    setContext('rec');
    setContext('green_thread');
    expect(getContext()).toBe('async');
    const { answer } = await roundTrip();
    expect(answer).toBe('hi');
    expect(seen.hosts).toEqual([]);
    expect(seen.spawned).toEqual([]);
  });

  it('is listed, with its aliases, when an unknown context is refused', () => {
    let e: unknown;
    try {
      setContext('fibers');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('UNKNOWN_CONTEXT');
    expect((e as Error).message).toContain("registered: 'async' (or 'green_thread'), 'recording' (or 'rec', 'tape')");
    process.env.TSACTOR_CONTEXT = 'fibers';
    expect(() => getContext()).toThrow(
      /TSACTOR_CONTEXT='fibers' is not a registered context; registered: .*'recording' \(or 'rec', 'tape'\)/,
    );
  });

  it('cannot take a name that another runtime already has', () => {
    const other: RuntimePlugin = { name: 'other', aliases: ['rec'], create: (host) => new RecordingRuntime(host) };
    expect(() => registerRuntime(other)).toThrow(expect.objectContaining({ name: 'HostError', code: 'CONTEXT_TAKEN' }) as Error);
    // none of its names is taken: the first one is still free
    expect(hasRuntime('other')).toBe(false);
    expect(() => setContext('other')).toThrow(HostError);
  });
});

import {
  Actor,
  ActorError,
  AlreadyExistsError,
  Ask,
  Future,
  isFuture,
  HostDownError,
  HostError,
  NotFoundError,
  Parallel,
  Ref,
  Tell,
  TimeoutError,
  createHost,
  getContext,
  getActorDefinition,
  getHost,
  getLocalHost,
  hasRuntime,
  makeProxy,
  registerRuntime,
  setContext,
  setErrorHandler,
  shutdown,
  type ActorDescription,
  type HostProxy,
} from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';

if (!hasRuntime('async')) registerRuntime(asyncRuntime);

@Actor
class Echo {
  @Ask echo(v: unknown): unknown {
    return v;
  }
  @Tell poke(): void {}
}

@Actor
class Hanger {
  private release: (() => void) | null = null;
  @Ask @Parallel async hang(): Promise<void> {
    await new Promise<void>((resolve) => (this.release = resolve));
  }
  @Tell free(): void {
    this.release?.();
  }
}

/** Its `onStop` waits for {@link stopGate} to open. */
@Actor
class SlowStop {
  static log: string[] = [];
  async onStop(): Promise<void> {
    SlowStop.log.push('onStop begins');
    await stopGate.promise;
    SlowStop.log.push('onStop ends');
  }
  @Ask ping(): number {
    return 1;
  }
}

let stopGate: { promise: Promise<void>; open: () => void };

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A few turns of the event loop (for what must not have happened by then). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

class BadDefinition {
  @Ref notAMessage(): void {}
}

let port = 7600;
const freshUrl = (): string => `local://local:${port++}/host`;

async function rejection(p: PromiseLike<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  await shutdown();
});

describe('createHost', () => {
  it.each(['not a url', 'local:/missing-slash', '', '://x/'])('refuses the URL %j with HostError (BAD_URL)', async (url) => {
    const e = await rejection(createHost(url));
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('BAD_URL');
    expect(e.message).toContain('expected scheme://host:port/');
    expect(getHost()).toBeNull();
  });

  it("refuses http:// with a hint that PyActor's http hosts are grpc:// hosts here", async () => {
    const e = await rejection(createHost('http://127.0.0.1:1277/'));
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('UNKNOWN_SCHEME');
    expect(e.message).toContain("PyActor's http:// hosts are grpc:// hosts here");
    expect(e.message).toMatch(/known schemes: local/);
  });

  it('refuses an unknown scheme, listing the known ones', async () => {
    const e = await rejection(createHost('carrier-pigeon://loft:1/'));
    expect(e).toBeInstanceOf(HostError);
    expect(e.message).toContain('no transport for carrier-pigeon://');
    expect(e.message).not.toContain('PyActor');
    expect(getHost()).toBeNull();
  });

  it('refuses a second host at a URL in use with HostError, and the first goes on', async () => {
    const url = freshUrl();
    const h = await createHost(url);
    const e = await rejection(createHost(url));
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('HOST_EXISTS');
    expect(e.message).toContain(url.replace(/host$/, ''));
    // same base, another host id: still the same host address
    expect(await rejection(createHost(url.replace(/host$/, 'other')))).toBeInstanceOf(HostError);
    const echo = await h.spawn('e', Echo);
    expect(await echo.echo(1)).toBe(1);
  });

  it('refuses a negative timeout without leaving a host behind', async () => {
    await expect(createHost(freshUrl(), { timeout: -1 })).rejects.toThrow(/options.timeout must be a non-negative number/);
    expect(getHost()).toBeNull();
  });

  it('uses options.timeout as the default ask timeout of its proxies', async () => {
    const h = await createHost(freshUrl(), { timeout: 0.05 });
    const hanger = await h.spawn('hanger', Hanger);
    const e = await rejection(hanger.hang());
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toContain('within 0.05 s');
    hanger.free();
  });

  it('makes the oldest running host the main one (getHost)', async () => {
    expect(getHost()).toBeNull();
    const a = await createHost(freshUrl());
    const b = await createHost(freshUrl());
    expect(getHost()!.equals(a)).toBe(true);
    await shutdown(a.getUrl());
    expect(getHost()!.equals(b)).toBe(true);
  });

  it('refuses a spawn of a class with a bad definition, or with a bad id', async () => {
    const h = await createHost(freshUrl());
    const e = await rejection(h.spawn('bad', BadDefinition));
    expect(e).toBeInstanceOf(ActorError);
    expect(e.message).toContain('BadDefinition.notAMessage has @Ref but neither @Tell nor @Ask');
    expect(await h.hasActor('bad')).toBe(false);
    expect(await rejection(h.spawn('', Echo))).toBeInstanceOf(TypeError);
    expect(await rejection(h.spawn('x', 42 as never))).toBeInstanceOf(TypeError);
    // the id of a failed spawn is free
    expect(await (await h.spawn('bad', Echo)).echo('ok')).toBe('ok');
  });
});

@Actor
class Spawner {
  readonly got: Array<[boolean, boolean, boolean, string]> = [];
  private child: Future | null = null;
  @Ask spawnChild(): boolean {
    this.child = getHost()!.spawn('child', Echo);
    this.child.addCallback('spawned');
    return this.child.done();
  }
  spawned(f: Future): void {
    this.got.push([f === this.child, f instanceof Promise, f.done(), String(f)]);
  }
  @Ask calls(): Array<[boolean, boolean, boolean, string]> {
    return this.got;
  }
}

describe('spawn and lookup answered at once (the host idle, on this thread)', () => {
  it('answer with a Future that is a native promise: await and Promise.all take it as it is', async () => {
    const h = await createHost(freshUrl());
    const f = h.spawn('e1', Echo);
    expect(f).toBeInstanceOf(Future);
    expect(f).toBeInstanceOf(Promise);
    // the internal check for the reply slots of asks, which answered promises never are
    expect(isFuture(f)).toBe(false);
    expect(isFuture(new Future('local://t:1/a', 'get', 10, null))).toBe(true);
    expect(Promise.resolve(f)).toBe(f);
    expect([f.done(), f.running()]).toEqual([true, false]);
    expect(String(f)).toBe(`Future(spawn() of ${h.getUrl()}, done)`);
    expect(await f.exception()).toBeNull();
    const [e1, e2] = await Promise.all([f, h.spawn('e2', Echo)]);
    expect(await e1.echo(1)).toBe(1);
    expect(await (await f.result()).echo(2)).toBe(2);
    expect(await e2.echo(3)).toBe(3);
    const found = h.lookup<Echo>('e2');
    expect(Promise.resolve(found)).toBe(found);
    expect((await found).equals(e2)).toBe(true);
  });

  it('still fail as a Future when the spawn or lookup fails (no unhandled rejection)', async () => {
    const h = await createHost(freshUrl());
    await h.spawn('e1', Echo);
    const again = h.spawn('e1', Echo);
    expect(again).not.toBeInstanceOf(Promise);
    expect([again.done(), (await again.exception())?.name]).toEqual([true, 'AlreadyExistsError']);
    expect(await rejection(again)).toBeInstanceOf(AlreadyExistsError);
    expect(await rejection(h.lookup('none'))).toBeInstanceOf(NotFoundError);
  });

  it('call an actor back with that same future (addCallback)', async () => {
    const h = await createHost(freshUrl());
    const spawner = await h.spawn('spawner', Spawner);
    expect(await spawner.spawnChild()).toBe(true);
    await expect(spawner.calls()).resolves.toEqual([[true, true, true, `Future(spawn() of ${h.getUrl()}, done)`]]);
  });
});

describe('stopActor', () => {
  it('answers once an async onStop has ended, and the host takes its next call only then', async () => {
    const h = await createHost(freshUrl());
    await h.spawn('slow', SlowStop);
    await h.spawn('quick', Echo);
    SlowStop.log = [];
    stopGate = gate();
    const order: string[] = [];
    const stopped = h.stopActor('slow');
    const has = h.hasActor('quick');
    void stopped.then(() => order.push('stopped'));
    void has.then((v) => order.push(`has ${String(v)}`));
    await turns(5);
    expect(SlowStop.log).toEqual(['onStop begins']);
    expect([stopped.done(), has.done()]).toEqual([false, false]);
    stopGate.open();
    await stopped;
    expect(await has).toBe(true);
    expect(SlowStop.log).toEqual(['onStop begins', 'onStop ends']);
    expect(order).toEqual(['stopped', 'has true']);
    expect(await h.hasActor('slow')).toBe(false);
  });

  it('answers a stop without an async onStop before the calls queued after it, and frees the id at once', async () => {
    const h = await createHost(freshUrl());
    await h.spawn('e1', Echo);
    const e1 = await h.lookup<Echo>('e1');
    const order: string[] = [];
    const stopped = h.stopActor('e1');
    const has = h.hasActor('e1');
    const again = h.spawn('e1', Echo);
    void stopped.then(() => order.push('stopped'));
    void has.then((v) => order.push(`has ${String(v)}`));
    await stopped;
    expect(await has).toBe(false);
    expect(order).toEqual(['stopped', 'has false']);
    expect(await (await again).echo(7)).toBe(7);
    // the proxy of the stopped actor reaches the new one with that id
    expect(await e1.echo(8)).toBe(8);
    expect(await rejection(h.stopActor('none'))).toBeInstanceOf(NotFoundError);
  });
});

describe('the target of an actor id', () => {
  it('taken before the actor stopped, keeps nothing of it and fails calls with NotFoundError', async () => {
    const url = freshUrl();
    const h = await createHost(url);
    await h.spawn('e1', Echo);
    const local = getLocalHost(url)!;
    const t = local.target('e1')!;
    expect(t.cell).not.toBeNull();
    await h.stopActor('e1');
    expect(t.cell).toBeNull();
    expect(t.address.url).toBe(`${url.slice(0, -'host'.length)}e1`);
    const f = new Future<unknown>(t.address.url, 'echo', 10, null);
    t.channel.send(t.address, 'echo', [1], f);
    const e = await rejection(f);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toContain("no actor 'e1' on host");
    expect(e.message).toContain('echo() not delivered');
  });
});

describe('shutdown', () => {
  it('refuses an unknown host URL with HostError', async () => {
    const e = await rejection(shutdown('local://nowhere:1/host'));
    expect(e).toBeInstanceOf(HostError);
    expect(e.message).toContain('no host is running at local://nowhere:1/host');
  });

  it('lets a URL be used again after its host shut down', async () => {
    const url = freshUrl();
    const h1 = await createHost(url);
    await h1.spawn('e', Echo);
    await shutdown(url);
    const h2 = await createHost(url);
    expect(await h2.hasActor('e')).toBe(false);
    expect(await (await h2.spawn('e', Echo)).echo(2)).toBe(2);
    expect(h1.equals(h2)).toBe(true);
    // the old proxy reaches the new host: same URL, same host
    expect(await h1.hasActor('e')).toBe(true);
  });
});

describe('router', () => {
  const desc: ActorDescription = { name: 'Echo', methods: { echo: 2, poke: 1 } };
  const at = (url: string) => {
    const m = /^(.*\/)([^/]*)$/.exec(url)!;
    return makeProxy<Echo>({ url, base: m[1]!, id: m[2]!, desc });
  };

  it('rejects an ask to an unknown scheme with HostError naming the known schemes, and reports a tell', async () => {
    const p = at('carrier-pigeon://loft:1/bird');
    const e = await rejection(p.echo(1));
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('UNKNOWN_SCHEME');
    expect(e.message).toContain('no transport for carrier-pigeon:// (to reach carrier-pigeon://loft:1/bird)');
    const reports: Error[] = [];
    const previous = setErrorHandler((err) => reports.push(err));
    try {
      expect(() => p.poke()).not.toThrow();
    } finally {
      setErrorHandler(previous);
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toBeInstanceOf(HostError);
  });

  it('rejects an ask to a local host that does not run with HostDownError', async () => {
    const e = await rejection(at('local://nobody:1/e').echo(1));
    expect(e).toBeInstanceOf(HostDownError);
    expect(e.message).toContain('local://nobody:1/');
  });

  it('rejects an ask to an unknown id of a running host with NotFoundError', async () => {
    const h = await createHost(freshUrl());
    const base = h.getUrl().replace(/host$/, '');
    const e = await rejection(at(`${base}ghost`).echo(1));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toContain("no actor 'ghost'");
  });

  it('after shutdown: HostError from the host proxy, HostDownError from its actors', async () => {
    const url = freshUrl();
    const h: HostProxy = await createHost(url);
    const echo = await h.spawn('e', Echo);
    await shutdown(url);
    const he = await rejection(h.lookup('e'));
    expect(he).toBeInstanceOf(HostError);
    expect(he.message).toContain('is shut down');
    expect(await rejection(echo.echo(1))).toBeInstanceOf(HostDownError);
  });
});

@Actor
class Greeter {
  readonly heard: string[] = [];
  @Tell hear(word: string): void {
    this.heard.push(`greeter ${word}`);
  }
  @Tell hearTwo(a: string, b: string): void {
    this.heard.push(`greeter ${a} ${b}`);
  }
  @Ask said(): string[] {
    return this.heard;
  }
}

@Actor
class LoudGreeter extends Greeter {
  @Tell override hear(word: string): void {
    this.heard.push(`loud ${word.toUpperCase()}`);
  }
  @Tell override hearTwo(a: string, b: string): void {
    this.heard.push(`loud ${a.toUpperCase()} ${b.toUpperCase()}`);
  }
}

describe('calls through a proxy described by another class', () => {
  it("reach the actor's own methods: a proxy typed by the base class calls the subclass's overrides", async () => {
    const h = await createHost(freshUrl());
    const loud = await h.spawn('loud', LoudGreeter);
    const address = { url: loud.getUrl(), base: loud.getUrl().replace(/loud$/, ''), id: 'loud', desc: getActorDefinition(Greeter) };
    const asBase = makeProxy<Greeter>(address);
    asBase.hear('hi');
    asBase.hearTwo('a', 'b');
    loud.hear('own');
    expect(await asBase.said()).toEqual(['loud HI', 'loud A B', 'loud OWN']);
  });
});

describe('setContext', () => {
  const saved = process.env.TSACTOR_CONTEXT;
  afterEach(() => {
    if (saved === undefined) delete process.env.TSACTOR_CONTEXT;
    else process.env.TSACTOR_CONTEXT = saved;
    setContext('async');
  });

  it('refuses an unknown context with HostError naming the registered ones', () => {
    delete process.env.TSACTOR_CONTEXT;
    let e: unknown;
    try {
      setContext('fibers');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('UNKNOWN_CONTEXT');
    expect((e as Error).message).toContain("context 'fibers' is not a registered context; registered: 'async' (or 'green_thread')");
    expect(getContext()).toBe('async');
  });

  it("accepts PyActor's name of the async context as an alias", () => {
    delete process.env.TSACTOR_CONTEXT;
    setContext('green_thread');
    expect(getContext()).toBe('async');
    setContext();
    expect(getContext()).toBe('async');
  });

  it('a bad TSACTOR_CONTEXT is refused by name', () => {
    process.env.TSACTOR_CONTEXT = 'bogus';
    expect(() => setContext('async')).toThrow(HostError);
    expect(() => getContext()).toThrow("TSACTOR_CONTEXT='bogus' is not a registered context; registered: 'async' (or 'green_thread')");
  });

  it('a context whose runtime is not registered is refused, saying how to register it', () => {
    delete process.env.TSACTOR_CONTEXT;
    expect(hasRuntime('threads')).toBe(false); // core alone: only this file's 'async' is registered
    let e: unknown;
    try {
      setContext('threads');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('UNKNOWN_CONTEXT');
    expect((e as Error).message).toContain("import 'tsactor'");
    expect(getContext()).toBe('async');
  });
});

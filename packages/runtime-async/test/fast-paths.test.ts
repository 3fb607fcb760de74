/**
 * The allocation-free paths of the 'async' runtime behave like the general ones: tells of
 * one argument (stored in the mailbox without an arguments array) and spawns.
 */
import { Actor, Ask, Tell, Ref, createHost, shutdown, setErrorHandler, type Proxy } from 'tsactor';

const log: unknown[][] = [];
let release: () => void = () => undefined;
let holding: () => void = () => undefined;

@Actor
export class Recorder {
  private peer: Proxy<Recorder> | null = null;
  @Tell none(): void {
    log.push(['none']);
  }
  @Tell one(x: unknown): void {
    log.push(['one', x, arguments.length]);
  }
  @Tell two(x: unknown, y: unknown): void {
    log.push(['two', x, y]);
  }
  @Tell boom(x: number): void {
    throw new Error(`boom ${x}`);
  }
  @Tell @Ref setPeer(peer: Proxy<Recorder>): void {
    this.peer = peer;
  }
  @Ask peerIs(p: Proxy<Recorder>): boolean {
    return this.peer === p;
  }
  @Ask peerUrl(): string {
    return this.peer!.getUrl();
  }
  @Tell async hold(): Promise<void> {
    holding();
    await new Promise<void>((resolve) => (release = resolve));
  }
  @Ask count(): number {
    return log.length;
  }
}

describe('async runtime fast paths', () => {
  beforeEach(() => {
    log.length = 0;
  });

  it('keeps the order of tells of any arity and passes a single argument as it is', async () => {
    const url = 'local://local:7350/host';
    const h = await createHost(url);
    try {
      const a = await h.spawn('a', Recorder);
      const arr = [1, 2];
      a.one(1);
      a.none();
      a.one(arr);
      a.two(3, 4);
      a.one(undefined);
      a.one(null);
      expect(await a.count()).toBe(6);
      expect(log).toEqual([['one', 1, 1], ['none'], ['one', arr, 1], ['two', 3, 4], ['one', undefined, 1], ['one', null, 1]]);
      expect(log[2]![1]).toBe(arr);
    } finally {
      await shutdown(url);
    }
  });

  it('re-makes the proxy of a one-argument @Ref tell for the receiver', async () => {
    const url = 'local://local:7351/host';
    const h = await createHost(url);
    try {
      const a = await h.spawn('a', Recorder);
      const b = await h.spawn('b', Recorder);
      a.setPeer(b);
      expect(await a.peerUrl()).toBe('local://local:7351/b');
      expect(await a.peerIs(b)).toBe(false);
    } finally {
      await shutdown(url);
    }
  });

  it("uses the actor's own flags when the proxy's description is another one", async () => {
    const { makeProxy, getHandle } = await import('@tsactor/core/internal');
    const url = 'local://local:7354/host';
    const h = await createHost(url);
    try {
      const a = await h.spawn('a', Recorder);
      const b = await h.spawn('b', Recorder);
      const addr = getHandle(a)!.addr;
      // a description that does not say setPeer is @Ref (flags 1: a plain tell)
      const desc = { name: addr.desc.name, methods: { ...addr.desc.methods, setPeer: 1 } };
      const other = makeProxy<Recorder>({ ...addr, desc });
      other.setPeer(b);
      expect(await a.peerUrl()).toBe('local://local:7354/b');
      expect(await a.peerIs(b)).toBe(false);
    } finally {
      await shutdown(url);
    }
  });

  it('reports one-argument tells that throw, reach a stopped actor, or are dropped at shutdown', async () => {
    const reports: Array<[string, string]> = [];
    const prev = setErrorHandler((e, info) => reports.push([e.message, info.kind]));
    const url = 'local://local:7352/host';
    try {
      const h = await createHost(url);
      const a = await h.spawn('a', Recorder);
      a.boom(7);
      expect(await a.count()).toBe(0);
      expect(reports).toEqual([['boom 7', 'tell']]);
      await h.stopActor('a');
      a.one(1);
      expect(reports[1]![0]).toContain("no actor 'a' on host local://local:7352/ (one() not delivered)");
      const b = await h.spawn('b', Recorder);
      const held = new Promise<void>((resolve) => (holding = resolve));
      b.hold();
      b.one(1);
      b.one(2);
      b.two(3, 4);
      await held;
      await shutdown(url);
      expect(log).toEqual([]);
      expect(reports[2]![0]).toContain('3 queued tell(s) to local://local:7352/b were not handled');
    } finally {
      release();
      setErrorHandler(prev);
    }
  });
});

describe('future waiters', () => {
  it('answers every waiter in the order they began, after the first one timed out', async () => {
    const { Future, TimeoutError } = await import('@tsactor/core/internal');
    const f = new Future<number>('local://local:7353/x', 'm', null, null);
    const order: string[] = [];
    const first = f.result(0.01).then(
      () => order.push('first ok'),
      (e: unknown) => order.push(e instanceof TimeoutError ? 'first timeout' : 'first other'),
    );
    const second = f.result(null).then((v) => order.push(`second ${v}`));
    await first;
    const third = f.result(null).then((v) => order.push(`third ${v}`));
    const fourth = f.then((v) => order.push(`fourth ${v}`));
    f.resolve(5);
    await Promise.all([second, third, fourth]);
    expect(order).toEqual(['first timeout', 'second 5', 'third 5', 'fourth 5']);
    expect(await f.result(0.01)).toBe(5);
  });

  it('rejects a single waiter and later ones with the error', async () => {
    const { Future } = await import('@tsactor/core/internal');
    const f = new Future<number>('local://local:7353/x', 'm', 10, null);
    const one = f.result();
    f.reject(new Error('no'));
    await expect(one).rejects.toThrow('no');
    await expect(f.result()).rejects.toThrow('no');
  });
});

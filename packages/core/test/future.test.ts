import {
  Actor,
  ActorCell,
  Future,
  FutureError,
  Tell,
  TimeoutError,
  enterCell,
  getActorDefinition,
  setErrorHandler,
} from '@tsactor/core/internal';

@Actor
class Listener {
  readonly calls: Array<[string, Future]> = [];
  @Tell poke(): void {}
  first(f: Future): void {
    this.calls.push(['first', f]);
  }
  second(f: Future): void {
    this.calls.push(['second', f]);
  }
  broken(): void {
    throw new Error('callback failed');
  }
}

function listenerCell(): { cell: ActorCell; actor: Listener } {
  const cell = new ActorCell('listener', 'local://t:1/listener', getActorDefinition(Listener), 'local://t:1/');
  const actor = new Listener();
  cell.instance = actor;
  return { cell, actor };
}

/** lets the dispatcher drain the mailboxes */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Future', () => {
  it('is running until answered, then done with its value', async () => {
    const f = new Future<number>('local://t:1/a', 'get', 10, null);
    expect(f.running()).toBe(true);
    expect(f.done()).toBe(false);
    expect(String(f)).toBe('Future(get() of local://t:1/a, pending)');
    const r = f.result();
    f.resolve(7);
    f.resolve(8); // a second answer is ignored
    f.reject(new Error('late'));
    expect(f.done()).toBe(true);
    expect(f.running()).toBe(false);
    expect(await r).toBe(7);
    expect(await f.result()).toBe(7);
    expect(await f).toBe(7);
    expect(await f.exception()).toBeNull();
    expect(String(f)).toContain('done');
  });

  it('rejects result() and await with the error, and exception() answers it', async () => {
    const f = new Future<number>('local://t:1/a', 'get', 10, null);
    const e = new RangeError('bad');
    const waiting = f.exception();
    f.reject(e);
    expect(await waiting).toBe(e);
    expect(await f.exception()).toBe(e);
    await expect(f.result()).rejects.toBe(e);
    await expect(Promise.resolve(f)).rejects.toBe(e);
    expect(String(f)).toContain('failed');
  });

  it('answers exception() with an Error even when a non-Error was thrown', async () => {
    const f = new Future('local://t:1/a', 'get', 10, null);
    f.reject('just a string');
    const e = await f.exception();
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toBe('just a string');
    const g = new Future('local://t:1/a', 'get', 10, null);
    const waiting = g.exception();
    g.reject('a string too');
    expect((await waiting)!.message).toBe('a string too');
  });

  it('result(timeout) and exception(timeout) reject with TimeoutError naming the seconds; the ask goes on', async () => {
    const f = new Future<string>('local://t:1/a', 'slow', 10, null);
    const e = await f.result(0.02).then(
      () => null,
      (x: unknown) => x as Error,
    );
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e!.message).toBe(
      'ask slow() of local://t:1/a got no answer within 0.02 s; raise the timeout with withTimeout(seconds) or result(seconds)',
    );
    await expect(f.exception(0.02)).rejects.toBeInstanceOf(TimeoutError);
    expect(f.running()).toBe(true);
    const r = f.result(null);
    f.resolve('finally');
    expect(await r).toBe('finally');
  });

  it('await waits the default timeout given at creation; null waits forever', async () => {
    const f = new Future<string>('local://t:1/a', 'slow', 0.02, null);
    await expect(Promise.resolve(f)).rejects.toThrow('within 0.02 s');
    const g = new Future<string>('local://t:1/a', 'slow', null, null);
    const r = g.then((v) => v);
    g.resolve('no deadline');
    expect(await r).toBe('no deadline');
  });

  it('applies its transform to the value, and rejects when the transform throws', async () => {
    const f = new Future<number>('local://t:1/a', 'get', 10, null);
    f._transform = (v) => (v as number) * 2;
    f.resolve(21);
    expect(await f).toBe(42);
    const g = new Future('local://t:1/a', 'get', 10, null);
    g._transform = () => {
      throw new TypeError('cannot transform');
    };
    g.resolve(1);
    await expect(g.result()).rejects.toThrow('cannot transform');
  });

  it('calls back methods of its actor in the order added, through the mailbox, with the future', async () => {
    const { cell, actor } = listenerCell();
    const f = new Future<number>('local://t:1/a', 'get', 10, cell);
    f.addCallback('first');
    f.addCallback('second');
    f.addCallback('first');
    f.resolve(1);
    expect(actor.calls).toEqual([]); // not synchronously: through the mailbox
    await drain();
    expect(actor.calls.map(([m]) => m)).toEqual(['first', 'second', 'first']);
    expect(actor.calls.every(([, fut]) => fut === f)).toBe(true);
  });

  it('calls back at once (through the mailbox) when added to a finished future', async () => {
    const { cell, actor } = listenerCell();
    const f = new Future<number>('local://t:1/a', 'get', 10, cell);
    f.reject(new Error('failed ask'));
    f.addCallback('second');
    await drain();
    expect(actor.calls.map(([m]) => m)).toEqual(['second']);
    expect((await f.exception())!.message).toBe('failed ask');
  });

  it('uses the actor running the code when the future has no owner', async () => {
    const { cell, actor } = listenerCell();
    const f = new Future<number>('local://t:1/a', 'get', 10, null);
    const prev = enterCell(cell);
    try {
      f.addCallback('first');
    } finally {
      enterCell(prev);
    }
    f.resolve(3);
    await drain();
    expect(actor.calls.map(([m]) => m)).toEqual(['first']);
  });

  it('reports an error thrown by a callback and goes on', async () => {
    const { cell, actor } = listenerCell();
    const reports: Array<[string, string]> = [];
    const previous = setErrorHandler((e, info) => reports.push([e.message, `${info.kind} ${info.method}`]));
    try {
      const f = new Future('local://t:1/a', 'get', 10, cell);
      f.addCallback('broken');
      f.addCallback('first');
      f.resolve(1);
      await drain();
    } finally {
      setErrorHandler(previous);
    }
    expect(reports).toEqual([['callback failed', 'callback broken']]);
    expect(actor.calls.map(([m]) => m)).toEqual(['first']);
  });

  it('refuses addCallback outside an actor, and for a method the actor lacks, with FutureError', () => {
    const f = new Future('local://t:1/a', 'get', 10, null);
    expect(() => f.addCallback('first')).toThrow(FutureError);
    expect(() => f.addCallback('first')).toThrow("addCallback('first') must be called inside an actor method");
    const { cell } = listenerCell();
    const g = new Future('local://t:1/a', 'get', 10, cell);
    expect(() => g.addCallback('missing')).toThrow(FutureError);
    expect(() => g.addCallback('missing')).toThrow("Listener (local://t:1/listener) has no method 'missing'");
  });
});

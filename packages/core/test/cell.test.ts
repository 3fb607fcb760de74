/**
 * The kinds of mailbox entries of a cell (tell, ask, one-argument tell, future callback):
 * each is handled, refused and dropped as its kind says.
 */
import {
  ActorCell,
  ActorError,
  CHUNK,
  Actor,
  Ask,
  Future,
  HostDownError,
  NotFoundError,
  Parallel,
  Tell,
  getActorDefinition,
  setErrorHandler,
  type ErrorHandler,
} from '@tsactor/core/internal';

@Actor
class Subject {
  readonly calls: unknown[][] = [];
  private release: () => void = () => undefined;
  @Tell async hold(): Promise<void> {
    await new Promise<void>((resolve) => (this.release = resolve));
  }
  @Tell one(x: unknown): void {
    this.calls.push(['one', x]);
  }
  @Tell two(x: unknown, y: unknown): void {
    this.calls.push(['two', x, y]);
  }
  @Tell many(...xs: unknown[]): void {
    this.calls.push(['many', xs.length, ...xs]);
  }
  @Ask get(): number {
    return this.calls.length;
  }
  /** not @Tell or @Ask: only a future callback may call it */
  done(f: Future): void {
    this.calls.push(['done', f]);
  }
  free(): void {
    this.release();
  }
}

@Actor
class Slow {
  release: () => void = () => undefined;
  @Ask
  @Parallel
  async slow(): Promise<number> {
    await new Promise<void>((resolve) => (this.release = resolve));
    return 1;
  }
}

/** Async asks that end when the test says: `slow` side by side (@Parallel), `held` holding the mailbox. */
@Actor
class Many {
  readonly waiting = new Map<number, () => void>();
  @Ask
  @Parallel
  async slow(i: number): Promise<number> {
    await new Promise<void>((resolve) => this.waiting.set(i, resolve));
    return i;
  }
  @Ask async held(i: number): Promise<number> {
    await new Promise<void>((resolve) => this.waiting.set(i, resolve));
    return i;
  }
  release(i: number): void {
    this.waiting.get(i)!();
    this.waiting.delete(i);
  }
}

function subjectCell(): { cell: ActorCell; actor: Subject } {
  const cell = new ActorCell('s', 'local://t:2/s', getActorDefinition(Subject), 'local://t:2/');
  const actor = new Subject();
  cell.instance = actor;
  return { cell, actor };
}

const target = { url: 'local://t:2/s', base: 'local://t:2/', id: 's', desc: getActorDefinition(Subject) };

/** lets the dispatcher drain the mailboxes */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ActorCell mailbox entries', () => {
  let reports: Array<[string, string, string]>;
  let previous: ErrorHandler;
  beforeEach(() => {
    reports = [];
    previous = setErrorHandler((e, info) => reports.push([e.message, info.kind, info.method]));
  });
  afterEach(() => {
    setErrorHandler(previous);
  });

  it('handles tells of any arity, asks and callbacks in order; a callback may name an undecorated method', async () => {
    const { cell, actor } = subjectCell();
    const ask = new Future<number>(target.url, 'get', 10, null);
    const cb = new Future<number>(target.url, 'get', 10, cell);
    cell.tell1('one', 1, undefined);
    cell.send(target, 'two', [2, 3], null);
    cell.callback('done', cb);
    cell.send(target, 'get', [], ask);
    await drain();
    expect(await ask).toBe(3);
    expect(actor.calls).toEqual([
      ['one', 1],
      ['two', 2, 3],
      ['done', cb],
    ]);
    expect(reports).toEqual([]);
  });

  it('calls a method with exactly the arguments sent, however many', async () => {
    const { cell, actor } = subjectCell();
    for (let k = 0; k <= 5; k++) {
      const args = Array.from({ length: k }, (_, i) => i * 10 + k);
      cell.send(target, 'many', args, null);
    }
    cell.send(target, 'many', [undefined], null);
    const ask = new Future<number>(target.url, 'get', 10, null);
    cell.send(target, 'get', [], ask);
    expect(await ask).toBe(7);
    expect(actor.calls).toEqual([
      ['many', 0],
      ['many', 1, 1],
      ['many', 2, 2, 12],
      ['many', 3, 3, 13, 23],
      ['many', 4, 4, 14, 24, 34],
      ['many', 5, 5, 15, 25, 35, 45],
      ['many', 1, undefined],
    ]);
  });

  it('handles a backlog of several times the largest ring, every kind in order, then an ask behind it', async () => {
    const { cell, actor } = subjectCell();
    const n = 3 * CHUNK + 5;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) cell.tell1('one', i, undefined);
      else cell.send(target, 'two', [i, -i], null);
    }
    expect(cell.depth).toBe(n);
    const ask = new Future<number>(target.url, 'get', 10, null);
    cell.send(target, 'get', [], ask);
    expect(await ask).toBe(n);
    const wrong = actor.calls.filter((c, i) => (i % 2 === 0 ? c[0] !== 'one' || c[1] !== i : c[0] !== 'two' || c[1] !== i || c[2] !== -i));
    expect(wrong).toEqual([]);
    expect(cell.depth).toBe(0);
  });

  it('refuses a tell or an ask of an undecorated method: the ask rejects, the tell is reported', async () => {
    const { cell, actor } = subjectCell();
    const ask = new Future<void>(target.url, 'done', 10, null);
    cell.send(target, 'done', [], ask);
    cell.send(target, 'free', [], null);
    await drain();
    const e = await ask.exception();
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('UNKNOWN_METHOD');
    expect(reports).toEqual([[expect.stringContaining("has no @Tell or @Ask method 'free'"), 'tell', 'free']]);
    expect(actor.calls).toEqual([]);
  });

  it('on stop, rejects the queued asks and counts the queued tells, one-argument tells and callbacks as dropped', async () => {
    const { cell, actor } = subjectCell();
    cell.tell1('hold', undefined, undefined);
    await drain(); // hold() now holds the mailbox
    const ask = new Future<number>(target.url, 'get', 10, null);
    cell.send(target, 'get', [], ask);
    cell.tell1('one', 1, undefined);
    cell.send(target, 'two', [2, 3], null);
    cell.callback('done', new Future<number>(target.url, 'get', 10, cell));
    void cell.stop('stopped');
    expect(await ask.exception()).toBeInstanceOf(NotFoundError);
    expect(reports).toEqual([['3 queued tell(s) to local://t:2/s were not handled: the actor was stopped', 'internal', 'stop']]);
    actor.free();
    await drain();
    expect(actor.calls).toEqual([]);
  });

  it('after stop, refuses each kind as its kind says: asks reject, tells and callbacks are reported as such', async () => {
    const { cell } = subjectCell();
    void cell.stop('stopped');
    const ask = new Future<number>(target.url, 'get', 10, null);
    cell.send(target, 'get', [], ask);
    cell.tell1('one', 1, undefined);
    cell.send(target, 'two', [2, 3], null);
    const cb = new Future<number>(target.url, 'get', 10, cell);
    cb.addCallback('done');
    cb.resolve(1);
    expect(await ask.exception()).toBeInstanceOf(NotFoundError);
    expect(reports.map(([, kind, method]) => `${kind} ${method}`)).toEqual(['tell one', 'tell two', 'callback done']);
    expect(reports.every(([m]) => m.includes('was stopped'))).toBe(true);
  });

  it('takeQueued hands out the calls not handled yet, oldest first, and keeps future callbacks queued', async () => {
    const { cell, actor } = subjectCell();
    cell.tell1('hold', undefined, undefined);
    await drain(); // hold() now holds the mailbox
    const ask = new Future<number>(target.url, 'get', 10, null);
    cell.tell1('one', 1, undefined);
    cell.send(target, 'get', [], ask);
    cell.send(target, 'two', [2, 3], null);
    const cb = new Future<number>(target.url, 'get', 10, cell);
    cell.callback('done', cb);
    const taken: Array<[string, unknown[], unknown]> = [];
    cell.takeQueued((method, args, reply) => taken.push([method, args, reply]));
    expect(taken).toEqual([
      ['one', [1], null],
      ['get', [], ask],
      ['two', [2, 3], null],
    ]);
    expect(cell.depth).toBe(1);
    actor.free();
    await drain();
    expect(actor.calls).toEqual([['done', cb]]);
    expect(ask.done()).toBe(false);
  });

  it('whenQuiet waits for the queued calls and the method holding the mailbox, and resolves at once when quiet', async () => {
    const { cell, actor } = subjectCell();
    expect(cell.quiet).toBe(true);
    await cell.whenQuiet();
    cell.tell1('hold', undefined, undefined);
    cell.tell1('one', 1, undefined);
    let quiet = false;
    const waiting = cell.whenQuiet().then(() => (quiet = true));
    await drain();
    // hold() holds the mailbox, one() waits behind it
    expect(quiet).toBe(false);
    expect(cell.quiet).toBe(false);
    actor.free();
    await waiting;
    expect(actor.calls).toEqual([['one', 1]]);
    expect(cell.quiet).toBe(true);
  });

  it('whenQuiet resolves when the actor stops with calls still queued', async () => {
    const { cell } = subjectCell();
    cell.tell1('hold', undefined, undefined);
    await drain();
    cell.tell1('one', 1, undefined);
    const waiting = cell.whenQuiet();
    void cell.stop('stopped');
    await waiting;
    expect(cell.quiet).toBe(true);
  });

  it('tracks the asks of async methods until each is answered, one or several at once; a shutdown rejects those left', async () => {
    const url = 'local://t:2/m';
    const cell = new ActorCell('m', url, getActorDefinition(Many), 'local://t:2/');
    const actor = new Many();
    cell.instance = actor;
    const addr = { ...target, url, id: 'm', desc: getActorDefinition(Many) };
    const ask = (method: string, i: number): Future<number> => {
      const f = new Future<number>(url, method, 10, null);
      cell.send(addr, method, [i], f);
      return f;
    };
    // one ask holding the mailbox
    const held = ask('held', 0);
    await drain();
    expect(cell.quiet).toBe(false);
    actor.release(0);
    expect(await held).toBe(0);
    expect(cell.quiet).toBe(true);
    // several side by side, answered out of order
    const asks = [1, 2, 3].map((i) => ask('slow', i));
    await drain();
    actor.release(2);
    expect(await asks[1]).toBe(2);
    expect(cell.quiet).toBe(false);
    actor.release(1);
    expect(await asks[0]).toBe(1);
    expect(cell.quiet).toBe(false);
    // the one left (and a new one held) fail when the host shuts down
    const last = ask('held', 4);
    await drain();
    void cell.stop('shutdown');
    expect(await asks[2]!.exception()).toBeInstanceOf(HostDownError);
    expect(await last.exception()).toBeInstanceOf(HostDownError);
    expect(cell.quiet).toBe(true);
  });

  it('whenQuiet waits for an async @Parallel ask still running after the mailbox is empty', async () => {
    const cell = new ActorCell('p', 'local://t:2/p', getActorDefinition(Slow), 'local://t:2/');
    const actor = new Slow();
    cell.instance = actor;
    const ask = new Future<number>('local://t:2/p', 'slow', 10, null);
    cell.send({ ...target, url: 'local://t:2/p', id: 'p', desc: getActorDefinition(Slow) }, 'slow', [], ask);
    await drain();
    expect(cell.depth).toBe(0);
    let quiet = false;
    const waiting = cell.whenQuiet().then(() => (quiet = true));
    await drain();
    expect(quiet).toBe(false);
    actor.release();
    await waiting;
    expect(await ask).toBe(1);
  });
});

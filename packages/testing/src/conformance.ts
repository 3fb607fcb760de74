/**
 * The conformance suite: the behaviour SPEC §3 promises, written once and run unchanged by
 * every runtime (async, threads) and every transport (grpc, amqp). A target says how to
 * create a fresh host; the suite spawns its actors (./actors) there and checks what a user
 * of the public API can observe. Ordering is proved by events, never by timing.
 */
import {
  ActorError,
  AlreadyExistsError,
  FutureError,
  HostDownError,
  HostError,
  IntervalError,
  MailboxFullError,
  NotFoundError,
  TimeoutError,
  createHost,
  watch,
  type StopReason,
  interval,
  later,
  type HostProxy,
  type Proxy,
} from 'tsactor';
import { router, timeouts } from '@tsactor/core/internal';
import {
  ACTOR_ERRORS,
  BUILTIN_ERRORS,
  Caller,
  CustomFailure,
  BoundedDropNewest,
  BoundedDropOldest,
  BoundedReject,
  Faulty,
  Fragile,
  Gate,
  Restartable,
  SlowStart,
  Watcher,
  NamedFailure,
  Point,
  Recorder,
  Sequencer,
  type ActorErrorName,
  type BuiltinErrorName,
} from './actors';
import { baseOf, captureReports, errorOf, settle, valueOf, within, type Outcome } from './helpers';

export interface ConformanceTarget {
  /** shown in test names, e.g. 'async', 'threads', 'grpc' */
  readonly name: string;
  /**
   * True (the default) when errors nobody awaits (tell failures) are reported in this
   * process, through the handler given to setErrorHandler. False for targets whose actors
   * run in another thread or process: the suite then checks only that the actor goes on.
   */
  readonly inProcess?: boolean;
  /**
   * True when messages to the host's actors leave the calling thread (worker threads,
   * transports), so a proxy given to a method without `@Ref` must be refused. Default: the
   * opposite of `inProcess`.
   */
  readonly crossesBoundary?: boolean;
  /** Creates a fresh host on which the suite spawns its actors, and returns it with a teardown
   * that shuts down everything setup created. May be called many times (once per describe block
   * and by tests that shut a host down); each call must use a fresh URL. `callerHost` is the host
   * whose proxy the calling code uses (the same as `host` for local runtimes; for a transport it
   * is a local client host, and `host` is a proxy to the remote one). */
  setup(): Promise<{ host: HostProxy; teardown(): Promise<void>; callerHost?: HostProxy }>;
}

/** Seconds within which a failure must show, well under the default 10 s ask timeout. */
const PROMPT = 2;

let seq = 0;
/** a fresh actor id */
function uid(prefix: string): string {
  return `${prefix}-${++seq}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Defines the conformance suite for `target` as jest describe/it blocks. */
export function describeConformance(target: ConformanceTarget): void {
  const inProcess = target.inProcess ?? true;
  const crossesBoundary = target.crossesBoundary ?? !inProcess;

  describe(`conformance: ${target.name}`, () => {
    let env: Awaited<ReturnType<ConformanceTarget['setup']>> | undefined;
    let host: HostProxy;

    beforeAll(async () => {
      env = await target.setup();
      host = env.host;
    });

    afterAll(async () => {
      await env?.teardown();
    });

    function spawn<T>(klass: new (...args: never[]) => T, ...args: unknown[]): Promise<Proxy<T>> {
      return Promise.resolve(host.spawn<T>(uid(klass.name.toLowerCase()), klass as never, ...args));
    }

    describe('message order (SPEC §3 Order)', () => {
      it('handles 10,000 tells in the order sent, and a following ask sees them all', async () => {
        const rec = await spawn(Recorder);
        const n = 10_000;
        for (let i = 0; i < n; i++) rec.add(i);
        expect(await rec.received()).toEqual(range(n));
      });

      it('handles a tell before an ask sent after it by the same sender, interleaved', async () => {
        const rec = await spawn(Recorder);
        rec.add('a');
        const f1 = rec.received();
        rec.add('b');
        rec.add('c');
        const f2 = rec.received();
        rec.add('d');
        const f3 = rec.echo('last');
        expect(await f1).toEqual(['a']);
        expect(await f2).toEqual(['a', 'b', 'c']);
        expect(await f3).toBe('last');
        expect(await rec.received()).toEqual(['a', 'b', 'c', 'd']);
      });

      it('keeps the order of tells and asks sent by an actor', async () => {
        const caller = await spawn(Caller);
        const rec = await spawn(Recorder);
        expect(await caller.sendMany(rec, 2000)).toEqual(range(2000));
      });
    });

    describe('one message at a time (SPEC §3)', () => {
      it('a non-parallel async method holds the mailbox until its promise settles', async () => {
        const seqr = await spawn(Sequencer);
        const gate = await spawn(Gate);
        const held = seqr.hold(gate, 'hold');
        const second = seqr.noteAsk('second');
        // the held method has reached its await: the gate has its waiter
        expect(await gate.arrived(1)).toBe(1);
        expect(second.done()).toBe(false);
        expect(held.running()).toBe(true);
        gate.open('opened');
        expect(await held).toBe('opened');
        expect(await second).toEqual(['hold:start', 'hold:end', 'second']);
      });

      it('@Parallel lets the next messages in while it awaits', async () => {
        const seqr = await spawn(Sequencer);
        const gate = await spawn(Gate);
        const held = seqr.holdParallel(gate, 'par');
        expect(await gate.arrived(1)).toBe(1);
        // answered while the parallel method is still waiting on the closed gate
        expect(await seqr.noteAsk('second')).toEqual(['par:start', 'second']);
        expect(held.running()).toBe(true);
        gate.open(42);
        expect(await held).toBe(42);
        expect(await seqr.log()).toEqual(['par:start', 'second', 'par:end']);
      });

      it('a @Parallel method can await a promise that only a later message resolves', async () => {
        const seqr = await spawn(Sequencer);
        const waiting = seqr.withTimeout(PROMPT * 2).waitForRelease();
        seqr.doRelease('released');
        expect(await waiting).toBe('released');
        expect(await seqr.log()).toEqual(['wait:start', 'release', 'wait:end']);
      });
    });

    describe('errors (SPEC §3 Tell, Ask)', () => {
      it('an error in a tell method is reported and the actor goes on', async () => {
        const capture = captureReports();
        try {
          const faulty = await spawn(Faulty);
          expect(() => faulty.boom('tell failure one')).not.toThrow();
          faulty.boomLater('tell failure two');
          // both failing tells were handled and the actor still answers
          expect(await faulty.alive()).toBe(2);
          if (inProcess) {
            const mine = capture.reports.filter((r) => r.info.actor === faulty.getUrl());
            expect(mine.map((r) => [r.info.kind, r.info.method, r.error.message])).toEqual([
              ['tell', 'boom', 'tell failure one'],
              ['tell', 'boomLater', 'tell failure two'],
            ]);
            expect(mine[1]!.error).toBeInstanceOf(RangeError);
          }
        } finally {
          capture.restore();
        }
      });

      it.each(Object.keys(BUILTIN_ERRORS) as BuiltinErrorName[])(
        'rebuilds a thrown %s with its class, message and remote stack',
        async (name) => {
          const faulty = await spawn(Faulty);
          const e = errorOf(await settle(faulty.throwBuiltin(name, `bad ${name}`)));
          expect(e).toBeInstanceOf(BUILTIN_ERRORS[name]);
          expect(e.constructor).toBe(BUILTIN_ERRORS[name]);
          expect(e.name).toBe(name);
          expect(e.message).toBe(`bad ${name}`);
          expect(e.stack).toContain('throwBuiltin');
          const r = errorOf(await settle(faulty.rejectBuiltin(name, `async ${name}`)));
          expect(r).toBeInstanceOf(BUILTIN_ERRORS[name]);
          expect(r.message).toBe(`async ${name}`);
        },
      );

      it.each(Object.keys(ACTOR_ERRORS) as ActorErrorName[])(
        'rebuilds a thrown %s with its class, name, code and message',
        async (name) => {
          const faulty = await spawn(Faulty);
          const e = errorOf(await settle(faulty.throwActorError(name, `raised ${name}`)));
          const local = new ACTOR_ERRORS[name]('x');
          expect(e).toBeInstanceOf(ACTOR_ERRORS[name]);
          expect(e).toBeInstanceOf(ActorError);
          expect(e.name).toBe(name);
          expect(e.message).toBe(`raised ${name}`);
          expect((e as ActorError).code).toBe(local.code);
          expect(e.stack).toContain('throwActorError');
        },
      );

      it('keeps custom fields and the cause of a built-in error', async () => {
        const faulty = await spawn(Faulty);
        const e = errorOf(await settle(faulty.throwBuiltin('TypeError', 'with fields', { status: 409, info: { where: ['a', 'b'] } })));
        expect(e).toBeInstanceOf(TypeError);
        expect(e).toMatchObject({ status: 409, info: { where: ['a', 'b'] } });
        const c = errorOf(await settle(faulty.throwWithCause('outer', 'inner')));
        expect(c.message).toBe('outer');
        expect(c.cause).toBeInstanceOf(TypeError);
        expect((c.cause as Error).message).toBe('inner');
      });

      it('rebuilds an error of a class given to registerClass: instanceof, name, message, fields, methods, stack', async () => {
        const faulty = await spawn(Faulty);
        const e = errorOf(await settle(faulty.throwCustom('custom failure', 7, ['x', 'y'])));
        const local = new CustomFailure('local', { code: 1, tags: [] });
        expect(e).toBeInstanceOf(CustomFailure);
        expect(e).toBeInstanceOf(Error);
        expect(e.name).toBe(local.name);
        expect(e.message).toBe('custom failure');
        expect((e as CustomFailure).detail).toEqual({ code: 7, tags: ['x', 'y'] });
        expect((e as CustomFailure).summary()).toBe('custom failure (7)');
        expect(e.stack).toContain('throwCustom');

        const n = errorOf(await settle(faulty.rejectNamed('named failure', true)));
        expect(n).toBeInstanceOf(NamedFailure);
        expect(n.name).toBe('NamedFailure');
        expect(n.message).toBe('named failure');
        expect((n as NamedFailure).retryable).toBe(true);
        expect(n.stack).toContain('rejectNamed');
      });

      it('passes instances of a registered class both ways with their class', async () => {
        const rec = await spawn(Recorder);
        expect(await rec.inspectPoint(new Point(3, -4))).toEqual({ isPoint: true, norm1: 7 });
        const p = await rec.makePoint(-1, 2);
        expect(p).toBeInstanceOf(Point);
        expect(p.norm1()).toBe(3);
      });
    });

    describe('hosts and actor ids (SPEC §3 Creating hosts, Stopping)', () => {
      it('lookup of an unknown id rejects with NotFoundError', async () => {
        const e = errorOf(await settle(host.lookup(uid('nobody'))));
        expect(e).toBeInstanceOf(NotFoundError);
        expect(errorOf(await settle(host.stopActor(uid('nobody'))))).toBeInstanceOf(NotFoundError);
      });

      it('spawn with an id in use rejects with AlreadyExistsError', async () => {
        const id = uid('dup');
        await host.spawn(id, Recorder);
        const e = errorOf(await settle(host.spawn(id, Recorder)));
        expect(e).toBeInstanceOf(AlreadyExistsError);
        expect(e.message).toContain(id);
        expect(await host.hasActor(id)).toBe(true);
      });

      it('passes constructor arguments to the actor', async () => {
        const rec = await spawn(Recorder, 'labelled');
        expect(await rec.getLabel()).toBe('labelled');
      });

      it('stopActor stops the actor: queued and later asks reject with NotFoundError, and the id is free again', async () => {
        const id = uid('stoppable');
        const seqr = await host.spawn(id, Sequencer);
        const gate = await spawn(Gate);
        const held = seqr.hold(gate, 'held');
        expect(await gate.arrived(1)).toBe(1);
        const queued = seqr.noteAsk('queued');
        await host.stopActor(id);
        expect(await host.hasActor(id)).toBe(false);
        expect(errorOf(await within(queued, PROMPT))).toBeInstanceOf(NotFoundError);
        expect(errorOf(await within(seqr.log(), PROMPT))).toBeInstanceOf(NotFoundError);
        expect(errorOf(await settle(host.lookup(id)))).toBeInstanceOf(NotFoundError);
        gate.open();
        await settle(held);

        const again = await host.spawn(id, Sequencer);
        expect(await again.noteAsk('fresh')).toEqual(['fresh']);
        expect(again.equals(seqr)).toBe(true);
      });

      it('a second host at a URL in use raises HostError, and the first host goes on', async () => {
        const url = host.getUrl();
        const o = await settle(createHost(url));
        expect(errorOf(o)).toBeInstanceOf(HostError);
        expect(await host.hasActor(uid('none'))).toBe(false);
      });
    });

    describe('proxies (SPEC §2 Proxy, §3 Refs)', () => {
      it('getId() and getUrl() name the actor on its host; the actor sees the same in its fields', async () => {
        const id = uid('named');
        const rec = await host.spawn(id, Recorder);
        const base = baseOf(host);
        expect(base).toMatch(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/$/);
        expect(rec.getId()).toBe(id);
        expect(rec.getUrl()).toBe(base + id);
        expect(host.getUrl()).toBe(base + host.getId());
        expect(await rec.whoAmI()).toEqual({ id, url: base + id, hostUrl: host.getUrl(), proxyUrl: base + id });
        expect(await rec.knownToHost()).toBe(true);
        expect(String(rec)).toContain(base + id);
      });

      it('equals() holds across spawn, lookup, lookupUrl (with and without the class) and a @Ref result', async () => {
        const id = uid('same');
        const spawned = await host.spawn(id, Recorder);
        const other = await spawn(Recorder);
        const looked = await host.lookup<Recorder>(id);
        const byUrlClass = await host.lookupUrl(spawned.getUrl(), Recorder);
        const byUrl = await host.lookupUrl<Recorder>(spawned.getUrl());
        const self = await spawned.self();
        const all = [spawned, looked, byUrlClass, byUrl, self, spawned.withTimeout(1)];
        for (const a of all) {
          for (const b of all) expect(a.equals(b)).toBe(true);
          expect(a.equals(other)).toBe(false);
          expect(other.equals(a)).toBe(false);
          expect(a.equals(spawned.getUrl())).toBe(false);
          expect(a.equals(null)).toBe(false);
        }
        // every one of them reaches the same actor
        looked.add('via lookup');
        byUrlClass.add('via lookupUrl with class');
        byUrl.add('via lookupUrl');
        self.add('via self');
        const got = await spawned.waitFor(4);
        expect(got).toHaveLength(4);
        expect(got).toEqual(expect.arrayContaining(['via lookup', 'via lookupUrl with class', 'via lookupUrl', 'via self']));
        expect(await byUrl.received()).toEqual(got);
        const hostAgain = await host.lookupUrl(baseOf(host));
        expect(hostAgain.equals(host)).toBe(true);
      });

      it('calling a method that is neither @Tell nor @Ask through a proxy throws', async () => {
        const rec = await spawn(Recorder);
        const looked = await host.lookupUrl<Recorder>(rec.getUrl());
        for (const p of [rec, looked]) {
          expect(() => (p as unknown as { plainHelper(): unknown }).plainHelper()).toThrow(/plainHelper/);
          expect(() => (p as unknown as { plainHelper(): unknown }).plainHelper()).toThrow(ActorError);
        }
        expect((rec as unknown as Record<string, unknown>).noSuchMethod).toBeUndefined();
      });

      it('interval and later accept only @Tell methods (IntervalError otherwise)', async () => {
        const rec = await spawn(Recorder);
        expect(() => interval(host, 1, rec, 'received')).toThrow(IntervalError);
        expect(() => later(1, rec, 'echo', 1)).toThrow(IntervalError);
        expect(() => interval(host, 1, rec, 'noSuchMethod')).toThrow(IntervalError);
        expect(() => later(1, rec, 'plainHelper')).toThrow(IntervalError);
        const iv = interval(host, 0.02, rec, 'add', 'tick');
        try {
          // an interval calls at once, then every `seconds`
          const ticks = await rec.waitFor(2);
          expect(ticks.length).toBeGreaterThanOrEqual(2);
          expect(new Set(ticks)).toEqual(new Set(['tick']));
        } finally {
          iv.cancel();
        }
        expect(iv.active).toBe(false);
        const other = await spawn(Recorder);
        const t = later(0.01, other, 'add', 'late');
        expect(t.pending).toBe(true);
        expect(await other.waitFor(1)).toEqual(['late']);
        expect(t.pending).toBe(false);
      });

      it('@Ref re-makes proxies nested in arrays, plain objects and Maps on the receiving side', async () => {
        const caller = await spawn(Caller);
        const [a, b, c, d] = await Promise.all([spawn(Recorder), spawn(Recorder), spawn(Recorder), spawn(Recorder)]);
        const out = await caller.useNested({ list: [a, b], obj: { inner: { rec: c } }, map: new Map([['d', d]]) });
        expect(out).toEqual([
          { where: 'list[0]', url: a.getUrl(), received: ['list[0]'] },
          { where: 'list[1]', url: b.getUrl(), received: ['list[1]'] },
          { where: 'obj.inner.rec', url: c.getUrl(), received: ['obj.inner.rec'] },
          { where: 'map.d', url: d.getUrl(), received: ['map.d'] },
        ]);
      });

      it('@Ref re-makes proxies nested in a result for the caller', async () => {
        const caller = await spawn(Caller);
        const [a, b] = await Promise.all([spawn(Recorder), spawn(Recorder)]);
        const back = await caller.nestedBack([a, b]);
        expect(back.list).toHaveLength(2);
        expect(back.list[0]!.equals(a)).toBe(true);
        expect(back.obj.first.equals(a)).toBe(true);
        expect(back.map).toBeInstanceOf(Map);
        expect(back.map.get('r1')!.equals(b)).toBe(true);
        back.list[0]!.add('from list');
        back.obj.first.add('from obj');
        back.map.get('r1')!.add('from map');
        expect(await back.list[0]!.received()).toEqual(['from list', 'from obj']);
        expect(await back.map.get('r1')!.received()).toEqual(['from map']);
      });

      it(`a proxy given to a method without @Ref ${crossesBoundary ? 'is refused with an error naming the method and @Ref' : 'arrives as it is (no boundary)'}`, async () => {
        const rec = await spawn(Recorder);
        const other = await spawn(Recorder);
        const o = await settle(() => rec.takeWithoutRef(other));
        if (crossesBoundary) {
          const e = errorOf(o);
          expect(e).toBeInstanceOf(ActorError);
          expect(e.message).toContain('takeWithoutRef');
          expect(e.message).toContain('@Ref');
        } else {
          expect(valueOf(o)).toBe('object');
        }
        // the actor is not harmed
        expect(await rec.echo('still here')).toBe('still here');
      });
    });

    describe('futures (SPEC §2 Future)', () => {
      it('done(), running(), result() and exception() on success and failure', async () => {
        const gate = await spawn(Gate);
        const f = gate.wait();
        expect(f.done()).toBe(false);
        expect(f.running()).toBe(true);
        gate.open('value');
        expect(await f.result()).toBe('value');
        expect(f.done()).toBe(true);
        expect(f.running()).toBe(false);
        expect(await f.exception()).toBeNull();
        expect(await f).toBe('value');

        const faulty = await spawn(Faulty);
        const g = faulty.throwBuiltin('RangeError', 'out of range');
        const e = await g.exception();
        expect(e).toBeInstanceOf(RangeError);
        expect(e!.message).toBe('out of range');
        expect(g.done()).toBe(true);
        expect(errorOf(await settle(g.result()))).toBe(e);
        expect(errorOf(await settle(g))).toBe(e);
      });

      it('result(timeout) and exception(timeout) reject with TimeoutError while the ask goes on', async () => {
        const gate = await spawn(Gate);
        const f = gate.wait();
        const r = errorOf(await settle(f.result(0.05)));
        expect(r).toBeInstanceOf(TimeoutError);
        expect(r.message).toContain('0.05 s');
        expect(errorOf(await settle(f.exception(0.05)))).toBeInstanceOf(TimeoutError);
        expect(f.running()).toBe(true);
        gate.open('later');
        expect(await f.result(null)).toBe('later');
      });

      it('withTimeout(seconds) bounds the wait with TimeoutError; the default timeout is 10 s', async () => {
        const gate = await spawn(Gate);
        // the deadline each wait is given, read right after result() starts it (no other code runs in between)
        const spy = jest.spyOn(timeouts, 'add');
        const deadlineOf = <T>(start: () => Promise<T>): [Promise<Outcome<T>>, number[]] => {
          spy.mockClear();
          const p = settle(start());
          return [p, spy.mock.calls.map((c) => c[0])];
        };
        try {
          const quick = gate.withTimeout(0.2);
          expect(quick.equals(gate)).toBe(true);
          const fast = quick.wait();
          const slow = gate.wait();
          const [fastResult, fastDeadline] = deadlineOf(() => fast.result());
          const [slowResult, slowDeadline] = deadlineOf(() => slow.result());
          expect(fastDeadline).toEqual([0.2]);
          expect(slowDeadline).toEqual([10]);
          const e = errorOf(await fastResult);
          expect(e).toBeInstanceOf(TimeoutError);
          expect(e.message).toContain('0.2 s');
          expect(e.message).toContain('wait');
          // the deadline is real: the default-timeout ask to the same actor still waits after the 0.2 s one expired
          expect(slow.running()).toBe(true);
          // the host proxy's default is 10 s too
          const [hostAsk, hostDeadline] = deadlineOf(() => host.hasActor('x').result());
          expect(hostDeadline).toEqual([10]);
          expect(valueOf(await hostAsk)).toBe(false);
          gate.open('done');
          expect(valueOf(await slowResult)).toBe('done');
          expect(fast.done()).toBe(true);
        } finally {
          spy.mockRestore();
        }
      });

      it('withTimeout(null) waits without a deadline; bad timeouts are refused', async () => {
        const gate = await spawn(Gate);
        const spy = jest.spyOn(timeouts, 'add');
        try {
          const f = gate.withTimeout(null).wait();
          const r = f.result();
          expect(spy).not.toHaveBeenCalled();
          gate.open(1);
          expect(await r).toBe(1);
        } finally {
          spy.mockRestore();
        }
        expect(() => gate.withTimeout(-1)).toThrow(TypeError);
        expect(() => gate.withTimeout(Number.NaN)).toThrow(TypeError);
      });

      it('a callback added to a finished future still fires, through the mailbox of the actor', async () => {
        const caller = await spawn(Caller);
        const rec = await spawn(Recorder);
        expect(await caller.lateCallback(rec, 'hello')).toBe(true);
        expect(await caller.eventsAfter(1)).toEqual([{ callback: 'onDone', done: true, running: false, value: 'hello' }]);
      });

      it('callbacks on a pending future fire in the order added, with the future', async () => {
        const caller = await spawn(Caller);
        const gate = await spawn(Gate);
        expect(await caller.twoCallbacks(gate)).toBe(true);
        gate.open('opened');
        expect(await caller.eventsAfter(2)).toEqual([
          { callback: 'first', done: true },
          { callback: 'second', value: 'opened' },
        ]);
      });

      it('a callback of a failed ask gets the error through exception()', async () => {
        const caller = await spawn(Caller);
        const faulty = await spawn(Faulty);
        await caller.failingCallback(faulty);
        expect(await caller.eventsAfter(1)).toEqual([
          { callback: 'onFailure', name: 'RangeError', message: 'for the callback', isRangeError: true },
        ]);
      });

      it('addCallback outside an actor, or naming a method the actor lacks, raises FutureError', async () => {
        const rec = await spawn(Recorder);
        const f = rec.echo(1);
        expect(() => f.addCallback('received')).toThrow(FutureError);
        expect(() => f.addCallback('received')).toThrow(/inside an actor/);
        expect(await f).toBe(1);
        expect(() => f.addCallback('received')).toThrow(FutureError);
        const caller = await spawn(Caller);
        const bad = await caller.badCallback(rec);
        expect(bad.name).toBe('FutureError');
        expect(bad.message).toContain('noSuchMethod');
      });
    });

    describe('lifecycle hooks and supervision (SPEC §6.2)', () => {
      it('runs onStart before the first message and onStop(reason) when stopped, in order', async () => {
        const rec = await spawn(Recorder);
        const id = uid('hooked');
        const a = await host.spawn(id, Restartable, rec, 'h');
        a.work(1);
        expect(await a.handledHere()).toBe(1);
        await host.stopActor(id);
        expect(await rec.waitFor(3)).toEqual(['start h', 'work 1 #1', 'stop h stopped']);
      });

      it('a throw in onStart fails the spawn with that error and leaves the id free', async () => {
        const id = uid('slowstart');
        const e = errorOf(await settle(host.spawn(id, SlowStart, 'no start today')));
        expect(e).toBeInstanceOf(ActorError);
        expect(e.message).toBe('no start today');
        expect(await host.hasActor(id)).toBe(false);
        const ok = await host.spawn(id, SlowStart, null);
        expect(await ok.ping()).toBe('pong');
      });

      it('a restart keeps the mailbox and its order, builds a fresh instance and calls onRestart', async () => {
        const rec = await spawn(Recorder);
        const a = await spawn(Restartable, rec, 'r');
        a.work(1);
        a.fail('boom');
        a.work(2);
        a.work(3);
        expect(await a.handledHere()).toBe(2);
        expect(await rec.waitFor(5)).toEqual(['start r', 'work 1 #1', 'restart r after boom', 'work 2 #1', 'work 3 #2']);
      });

      it('the ask whose handling failed rejects with its error, and the actor restarts', async () => {
        const rec = await spawn(Recorder);
        const a = await spawn(Restartable, rec, 'q');
        a.work(1);
        const e = errorOf(await settle(a.failAsk('ask broke')));
        expect(e.message).toBe('ask broke');
        expect(await a.handledHere()).toBe(0);
        expect(await rec.waitFor(3)).toEqual(['start q', 'work 1 #1', 'restart q after ask broke']);
      });

      it('more failures than maxRestarts stop the actor with reason failed; its id is freed', async () => {
        const rec = await spawn(Recorder);
        const id = uid('restartable');
        const a = await host.spawn(id, Restartable, rec, 'm');
        a.fail('one');
        a.fail('two');
        a.fail('three');
        const queued = a.handledHere();
        expect(errorOf(await within(queued, PROMPT))).toBeInstanceOf(NotFoundError);
        expect(await rec.waitFor(4)).toEqual(['start m', 'restart m after one', 'restart m after two', 'stop m failed']);
        expect(await host.hasActor(id)).toBe(false);
      });
    });

    describe('death watch (SPEC §6.2)', () => {
      /** A watcher actor recording into a fresh Recorder, and a function watch from outside, on `target`. */
      async function watchers(target: Proxy<unknown>) {
        const rec = await spawn(Recorder);
        const w = await spawn(Watcher, rec);
        w.watchIt(target);
        expect(await w.ready()).toBe(true);
        const seen: StopReason[] = [];
        let first!: (r: StopReason) => void;
        const once = new Promise<StopReason>((resolve) => (first = resolve));
        watch(target, (ref, reason) => {
          expect(ref.equals(target)).toBe(true);
          seen.push(reason);
          first(reason);
        });
        return { rec, w, seen, once };
      }

      it('tells each watcher once, with reason stopped, when the actor is stopped', async () => {
        const id = uid('watched');
        const target = await host.spawn(id, Recorder);
        const { rec, w, seen, once } = await watchers(target);
        await host.stopActor(id);
        expect(await rec.waitFor(1)).toEqual([`terminated ${id} stopped`]);
        expect(await once).toBe('stopped');
        // a further round trip through the watcher and its recorder: no second notice
        expect(await w.ready()).toBe(true);
        expect(await rec.received()).toEqual([`terminated ${id} stopped`]);
        expect(seen).toEqual(['stopped']);
      });

      it('tells each watcher once, with reason failed, when supervision stops the actor', async () => {
        const id = uid('fragile');
        const target = await host.spawn(id, Fragile);
        const { rec, w, seen, once } = await watchers(target);
        target.fail('fatal');
        expect(await rec.waitFor(1)).toEqual([`terminated ${id} failed`]);
        expect(await once).toBe('failed');
        expect(await w.ready()).toBe(true);
        expect(await rec.received()).toEqual([`terminated ${id} failed`]);
        expect(seen).toEqual(['failed']);
        expect(errorOf(await within(target.ping(), PROMPT))).toBeInstanceOf(NotFoundError);
      });

      it('watching an actor that is already gone notifies at once; unwatch stops the notice', async () => {
        const id = uid('gone');
        const target = await host.spawn(id, Recorder);
        await host.stopActor(id);
        const reason = await new Promise<StopReason>((resolve) => watch(target, (_ref, r) => resolve(r)));
        expect(reason).toBe('stopped');

        const id2 = uid('unwatched');
        const t2 = await host.spawn(id2, Recorder);
        const rec = await spawn(Recorder);
        const w = await spawn(Watcher, rec);
        w.watchIt(t2);
        w.unwatchIt(t2);
        expect(await w.ready()).toBe(true);
        let called = 0;
        const undo = watch(t2, () => called++);
        undo();
        const { once } = await watchers(t2);
        await host.stopActor(id2);
        expect(await once).toBe('stopped');
        expect(await w.ready()).toBe(true);
        expect(await rec.received()).toEqual([]);
        expect(called).toBe(0);
      });
    });

    describe('bounded mailboxes (SPEC §6.3)', () => {
      /** Fills a two-message mailbox held busy by `hold`, then sends a third ask; returns the three asks' outcomes. */
      async function overfill(klass: typeof BoundedReject) {
        const b = await spawn(klass);
        const gate = await spawn(Gate);
        const held = b.hold(gate);
        expect(await gate.arrived(1)).toBe(1);
        const asks = [b.note(1), b.note(2), b.note(3)];
        const third = await within(asks[2]!, PROMPT);
        gate.open();
        await held;
        return { b, outcomes: [await settle(asks[0]!), await settle(asks[1]!), third] };
      }

      it("'reject' refuses the ask that finds the mailbox full with MailboxFullError", async () => {
        const { b, outcomes } = await overfill(BoundedReject);
        expect(valueOf(outcomes[0]!)).toEqual([1]);
        expect(valueOf(outcomes[1]!)).toEqual([1, 2]);
        expect(errorOf(outcomes[2]!)).toBeInstanceOf(MailboxFullError);
        expect(await b.note(4)).toEqual([1, 2, 4]);
      });

      it("'drop-newest' drops the new message: its ask rejects with MailboxFullError", async () => {
        const { b, outcomes } = await overfill(BoundedDropNewest);
        expect(valueOf(outcomes[0]!)).toEqual([1]);
        expect(valueOf(outcomes[1]!)).toEqual([1, 2]);
        expect(errorOf(outcomes[2]!)).toBeInstanceOf(MailboxFullError);
        expect(await b.note(4)).toEqual([1, 2, 4]);
      });

      it("'drop-oldest' drops the oldest queued message: its ask rejects with MailboxFullError", async () => {
        const b = await spawn(BoundedDropOldest);
        const gate = await spawn(Gate);
        const held = b.hold(gate);
        expect(await gate.arrived(1)).toBe(1);
        const first = b.note(1);
        b.noteTell(2);
        const third = settle(b.note(3));
        expect(errorOf(await within(first, PROMPT))).toBeInstanceOf(MailboxFullError);
        gate.open();
        await held;
        expect(valueOf(await third)).toEqual([2, 3]);
      });
    });

    describe('shutdown (SPEC §3 Stopping)', () => {
      it('after shutdown the host proxy rejects with HostError and actor proxies promptly with HostDownError', async () => {
        const own = await target.setup();
        let down = false;
        const capture = captureReports();
        try {
          const rec = await own.host.spawn(uid('doomed'), Recorder);
          const gate = await own.host.spawn(uid('gate'), Gate);
          const inFlight = gate.wait();
          expect(await gate.arrived(1)).toBe(1);
          rec.add('before');
          expect(await rec.received()).toEqual(['before']);
          const base = baseOf(own.host);

          await own.teardown();
          down = true;

          // the ask that was running when the host went down fails at once, not at its timeout
          expect(errorOf(await within(inFlight, PROMPT))).toBeInstanceOf(HostDownError);
          // new asks to its actors fail at once too
          expect(errorOf(await within(rec.received(), PROMPT))).toBeInstanceOf(HostDownError);
          expect(errorOf(await within(rec.withTimeout(null).echo(1), PROMPT))).toBeInstanceOf(HostDownError);
          // a tell never throws at the caller
          expect(() => rec.add('after')).not.toThrow();

          const hostErr = errorOf(await within(own.host.lookup('anything'), PROMPT));
          if (router.closed.has(base)) {
            // a host of this process that was shut down
            expect(hostErr).toBeInstanceOf(HostError);
          } else {
            // a remote host that is gone: it cannot tell shut down from unreachable
            expect([HostError, HostDownError].some((k) => hostErr instanceof k)).toBe(true);
          }
          expect(errorOf(await within(own.host.spawn(uid('late'), Recorder), PROMPT))).toBeInstanceOf(ActorError);
        } finally {
          capture.restore();
          if (!down) await own.teardown();
        }
      });
    });
  });
}

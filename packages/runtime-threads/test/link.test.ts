/**
 * The link between two threads, without threads: batching, answers, failure, messages that
 * structured clone refuses, and values from another realm.
 */
import * as vm from 'node:vm';
import { MessageChannel } from 'node:worker_threads';
import { ActorError, Future, HostDownError } from 'tsactor';
import { Actor, ActorCell, Ask, getActorDefinition } from '@tsactor/core/internal';
import { ASK, Link, LinkChannel, LinkReply, NAME, OK, encodeOptions, type LinkHandler, type LinkPort } from '../src/link';
import { adopt, isForeign } from '@tsactor/core/internal';
import { Counter } from './fixtures/actors';

interface Delivered {
  handle: number;
  method: string;
  args: unknown;
  rid: number;
}

/** Two links joined by in-memory ports that deliver in a later task, counting posts. */
function pair(): { a: Link; b: Link; posts: unknown[][]; delivered: Delivered[] } {
  const posts: unknown[][] = [];
  const delivered: Delivered[] = [];
  const handler: LinkHandler = {
    deliver(link, handle, method, args, rid) {
      delivered.push({ handle, method, args, rid });
      if (rid !== 0) link.answer(rid, method === 'bad' ? () => 'a function' : { echoed: args }, encodeOptions(def, method));
    },
    route() {},
    call(link, name, payload, rid) {
      if (rid !== 0) link.answer(rid, { name, payload }, { refs: false, where: name });
    },
    report() {},
  };
  // eslint-disable-next-line prefer-const
  let a: Link, b: Link;
  const toB: LinkPort = {
    postMessage(v) {
      posts.push(v as unknown[]);
      const copy = structuredClone(v) as unknown[];
      setImmediate(() => b.receive(copy));
    },
  };
  const toA: LinkPort = {
    postMessage(v) {
      const copy = structuredClone(v) as unknown[];
      setImmediate(() => a.receive(copy));
    },
  };
  a = new Link(toB, handler, 10, 'b');
  b = new Link(toA, handler, 10, 'a');
  return { a, b, posts, delivered };
}

/** An actor of the receiving thread, run by its dispatcher. */
@Actor
class Doubler {
  @Ask double(x: number): number {
    return 2 * x;
  }
}

const def = getActorDefinition(Counter);
const target = { url: 'local://link-test:1/c', base: 'local://link-test:1/', id: 'c', desc: def };

describe('Link', () => {
  it('posts a burst of tells in a few batches, in order', async () => {
    const { a, posts, delivered } = pair();
    const ch = new LinkChannel(a, 7);
    const n = 10_000;
    for (let i = 0; i < n; i++) ch.send(target, 'add', [i], null);
    const answer = new Future(target.url, 'count', 10, null);
    ch.send(target, 'count', [], answer);
    expect(await answer).toEqual({ echoed: [] });
    // about 4,000 messages per post: the burst takes 3 posts, not 10,001
    expect(posts.length).toBeLessThanOrEqual(4);
    expect(delivered).toHaveLength(n + 1);
    expect(delivered.slice(0, n).map((d) => (d.args as number[])[0])).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(delivered.slice(0, n).every((d) => d.handle === 7 && d.method === 'add' && d.rid === 0)).toBe(true);
    expect(delivered[n]!.method).toBe('count');
  });

  it('answers control calls, and rejects what is pending when it fails', async () => {
    const { a } = pair();
    expect(await a.call('ping', { x: 1 })).toEqual({ name: 'ping', payload: { x: 1 } });
    const pending = new Future(target.url, 'count', null, null);
    new LinkChannel(a, 7).send(target, 'count', [], pending);
    const call = a.call('ping', null);
    a.fail(new HostDownError('the peer is gone'));
    await expect(pending.result()).rejects.toThrow('the peer is gone');
    await expect(call).rejects.toBeInstanceOf(HostDownError);
    // later messages fail at once: asks reject, with the method named
    const later = new Future(target.url, 'count', null, null);
    new LinkChannel(a, 7).send(target, 'count', [], later);
    const e = (await later.exception())!;
    expect(e).toBeInstanceOf(HostDownError);
    expect(e.message).toContain('count() of local://link-test:1/c');
    await expect(a.call('ping', null)).rejects.toBeInstanceOf(HostDownError);
  });

  it('sends an answer that cannot be encoded as the error of the ask', async () => {
    const { a } = pair();
    const f = new Future(target.url, 'bad', 10, null);
    new LinkChannel(a, 7).send(target, 'bad', [], f);
    const e = (await f.exception())!;
    expect(e).toBeInstanceOf(ActorError);
    expect((e as ActorError).code).toBe('NOT_SERIALIZABLE');
    expect(e.message).toContain('Counter.bad');
  });

  it('posts message by message when structured clone refuses a batch, failing only the bad message', async () => {
    const { port1, port2 } = new MessageChannel();
    const got: Delivered[] = [];
    const noop: LinkHandler = { deliver() {}, route() {}, call() {}, report() {} };
    const receiver = new Link(
      port2,
      {
        ...noop,
        deliver(link, handle, method, args, rid) {
          got.push({ handle, method, args, rid });
          if (rid !== 0) link.answer(rid, got.length, { refs: false, where: method });
        },
      },
      10,
      'x',
    );
    port2.on('message', (batch: unknown[]) => receiver.receive(batch));
    const sender = new Link(port1, noop, 10, 'the receiver');
    port1.on('message', (batch: unknown[]) => sender.receive(batch));
    // what keeps a worker referenced: busy while an ask of the link waits for its answer
    const busy: boolean[] = [];
    sender.onBusy = (b) => busy.push(b);
    try {
      const ch = new LinkChannel(sender, 7);
      ch.send(target, 'add', ['before'], null);
      // a JS Proxy passes the codec (it looks like a plain object) but structured clone refuses it
      const bad = new Future(target.url, 'echo', 10, null);
      ch.send(target, 'echo', [new Proxy({}, {})], bad);
      ch.send(target, 'add', ['after'], null);
      const e = (await bad.exception())!;
      expect(e).toBeInstanceOf(ActorError);
      expect((e as ActorError).code).toBe('NOT_SERIALIZABLE');
      expect(e.message).toContain('echo()');
      // the refused ask no longer keeps the link busy
      expect(sender.waiting).toBe(0);
      expect(busy).toEqual([true, false]);
      const last = new Future(target.url, 'count', 10, null);
      ch.send(target, 'count', [], last);
      expect(await last).toBe(3);
      expect(busy).toEqual([true, false, true, false]);
      expect(got.map((d) => d.method + ':' + String((d.args as unknown[])[0]))).toEqual(['add:before', 'add:after', 'count:undefined']);
    } finally {
      port1.close();
    }
  });
});

describe('values from another realm', () => {
  it('are recognised and copied into this realm', () => {
    const foreign = vm.runInNewContext(
      `[{ m: new Map([['k', new Set([1])]]), d: new Date(5), r: /x/g, t: new Uint16Array([7]), a: [1, { b: 2 }], n: Object.create(null) }]`,
    ) as unknown[];
    expect(isForeign(foreign)).toBe(true);
    expect(isForeign([])).toBe(false);
    const [v] = adopt(foreign) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v.m).toBeInstanceOf(Map);
    expect((v.m as Map<string, unknown>).get('k')).toBeInstanceOf(Set);
    expect(v.d).toBeInstanceOf(Date);
    expect((v.d as Date).getTime()).toBe(5);
    expect(v.r).toBeInstanceOf(RegExp);
    expect((v.r as RegExp).flags).toBe('g');
    expect(v.t).toBeInstanceOf(Uint16Array);
    expect(Array.from(v.t as Uint16Array)).toEqual([7]);
    expect(v.a).toEqual([1, { b: 2 }]);
    expect(Object.getPrototypeOf(v.n)).toBeNull();
  });

  it('answers the asks of a batch before receive returns: the actors they are for run, and the answers leave in one post', () => {
    const posted: unknown[][] = [];
    const cell = new ActorCell('d', 'local://link-test:1/d', getActorDefinition(Doubler), 'local://link-test:1/');
    cell.instance = new Doubler();
    const link = new Link(
      { postMessage: (v) => posted.push(v as unknown[]) },
      {
        // as a worker delivers: into the actor's mailbox, handled by the dispatcher
        deliver(l, _handle, method, args, rid) {
          cell.enqueue(method, args, rid === 0 ? null : new LinkReply(l, rid, encodeOptions(cell.def, method)));
        },
        route() {},
        call() {},
        report() {},
      },
      10,
      'the test',
    );
    link.receive([NAME, 0, 'double', ASK, 1, 0, 5, 1, 21, ASK, 1, 0, 6, 1, 4]);
    // no microtask has run yet
    expect(posted).toEqual([[OK, 5, 42, OK, 6, 8]]);
  });
});

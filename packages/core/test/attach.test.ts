/**
 * Serving ids with channels instead of actors (attachChannel, attachIds, attachRoute): calls
 * reach the channel at once with their answer slot; ids under an attached prefix go through
 * the resolver, or through a route of their own; taken ids and overlapping prefixes are
 * refused; detached ids are not found.
 */
import {
  Actor,
  AlreadyExistsError,
  Ask,
  NotFoundError,
  Tell,
  attachChannel,
  attachIds,
  attachRoute,
  createHost,
  describe as describeActor,
  getActorDefinition,
  getLocalHost,
  hasRuntime,
  internDescription,
  makeProxy,
  registerRuntime,
  setContext,
  shutdown,
  type ActorAddress,
  type ActorChannel,
  type LocalHost,
  type Proxy,
  type Reply,
} from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';

if (!hasRuntime('async')) registerRuntime(asyncRuntime);

@Actor
class Doubler {
  @Ask twice(n: number): number {
    return 2 * n;
  }
  @Tell note(_n: number): void {}
}

const DESC = internDescription(describeActor(getActorDefinition(Doubler)));
const URL = 'local://attach:1/host';

/** A channel that answers `twice` itself and records every call (target id, method, args). */
class Recorder implements ActorChannel {
  readonly alive = true;
  readonly calls: Array<{ id: string; method: string; args: unknown[]; reply: boolean }> = [];
  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    this.calls.push({ id: target.id, method, args, reply: reply !== null });
    if (method === 'twice') reply?.resolve(2 * (args[0] as number));
  }
}

let host: LocalHost;

beforeEach(async () => {
  setContext('async');
  await createHost(URL);
  host = getLocalHost(URL)!;
});

afterEach(async () => {
  await shutdown();
});

function proxyTo(id: string): Proxy<Doubler> {
  return makeProxy<Doubler>({ url: host.base + id, base: host.base, id, desc: DESC });
}

describe('attachChannel', () => {
  it('hands each call to the channel at once, with its answer slot; stopActor removes it', async () => {
    const rec = new Recorder();
    let stopped = 0;
    attachChannel(host, 'router', rec, DESC, () => stopped++);
    const p = proxyTo('router');
    expect(await p.twice(21)).toBe(42);
    p.note(5);
    expect(rec.calls).toEqual([
      { id: 'router', method: 'twice', args: [21], reply: true },
      { id: 'router', method: 'note', args: [5], reply: false },
    ]);
    expect(() => attachChannel(host, 'router', rec, DESC)).toThrow(AlreadyExistsError);
    await host.stopActor('router');
    expect(stopped).toBe(1);
    await expect(proxyTo('router').twice(1)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('attachIds', () => {
  it('serves the ids under a prefix through the resolver, refuses what overlaps, and stops when detached', async () => {
    const rec = new Recorder();
    const detach = attachIds(host, 'v/', (id) =>
      id.endsWith('/none') ? null : { channel: rec, address: { url: host.base + id, base: host.base, id, desc: DESC }, cell: null },
    );
    expect(await proxyTo('v/a').twice(2)).toBe(4);
    expect(await proxyTo('v/b').twice(3)).toBe(6);
    expect(rec.calls.map((c) => c.id)).toEqual(['v/a', 'v/b']);
    await expect(proxyTo('v/none').twice(1)).rejects.toBeInstanceOf(NotFoundError);
    // an actor id under the prefix, or a prefix overlapping it, would be unreachable
    expect(() => host.spawn('v/c', Doubler, [])).toThrow(AlreadyExistsError);
    expect(() => attachIds(host, 'v/x/', () => null)).toThrow(AlreadyExistsError);
    expect(() => attachIds(host, 'v', () => null)).toThrow(AlreadyExistsError);
    // ids outside it are actors as before
    const made = host.spawn('w', Doubler, []);
    if (made instanceof Promise) await made;
    expect(await proxyTo('w').twice(5)).toBe(10);
    detach();
    await expect(proxyTo('v/a').twice(1)).rejects.toBeInstanceOf(NotFoundError);
    expect(rec.calls).toHaveLength(2);
  });
});

describe('attachRoute', () => {
  it('serves one id under a prefix without the resolver, deciding per call, until it is removed or the prefix detached', async () => {
    const byResolver = new Recorder();
    const byRoute = new Recorder();
    const resolved: string[] = [];
    const target = (rec: Recorder, id: string) => ({
      channel: rec,
      address: { url: host.base + id, base: host.base, id, desc: DESC },
      cell: null,
    });
    const detach = attachIds(host, 'v/', (id) => {
      resolved.push(id);
      return target(byResolver, id);
    });
    let open = true;
    const unroute = attachRoute(host, 'v/a', () => (open ? target(byRoute, 'v/a') : null))!;
    expect(unroute).toBeInstanceOf(Function);
    expect(await proxyTo('v/a').twice(2)).toBe(4);
    expect(await proxyTo('v/b').twice(3)).toBe(6);
    expect(byRoute.calls.map((c) => c.id)).toEqual(['v/a']);
    expect(resolved).toEqual(['v/b']);
    // the route decides per call: null is an unknown id
    open = false;
    await expect(proxyTo('v/a').twice(1)).rejects.toBeInstanceOf(NotFoundError);
    expect(resolved).toEqual(['v/b']);
    // removed: the resolver serves the id again
    unroute();
    expect(await proxyTo('v/a').twice(4)).toBe(8);
    expect(resolved).toEqual(['v/b', 'v/a']);
    // an id under no prefix is not routed
    expect(attachRoute(host, 'w/a', () => target(byRoute, 'w/a'))).toBeNull();
    await expect(proxyTo('w/a').twice(1)).rejects.toBeInstanceOf(NotFoundError);
    // detaching the prefix ends its routes: attached again, the new resolver serves the id
    open = true;
    attachRoute(host, 'v/a', () => target(byRoute, 'v/a'));
    detach();
    await expect(proxyTo('v/a').twice(1)).rejects.toBeInstanceOf(NotFoundError);
    attachIds(host, 'v/', (id) => target(byResolver, id));
    const before = byRoute.calls.length;
    expect(await proxyTo('v/a').twice(5)).toBe(10);
    expect(byRoute.calls).toHaveLength(before);
    expect(byResolver.calls.map((c) => c.args[0])).toEqual([3, 4, 5]);
  });
});

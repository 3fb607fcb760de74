/**
 * Virtual actors in one process: three members (gRPC hosts) of a seeds cluster, calls through
 * `cluster.get`, activation on the owner, passivation, hand-over on leave.
 */
import { Actor, ActorBase, AlreadyExistsError, Ask, Tell, createHost, shutdown } from 'tsactor';
import { ClusterArgumentError, ClusterUnavailableError, joinCluster, owner, type ActivationRecord, type Cluster } from '@tsactor/cluster';
import { freePort } from './members';
import { nameTag } from '../src/gateway';
import { getLocalHost } from '@tsactor/core/internal';

@Actor
class Counter extends ActorBase {
  private n = 0;
  @Tell
  bump(): void {
    this.n++;
  }
  @Ask
  add(k: number): { id: string; url: string; n: number } {
    this.n += k;
    return { id: this.id, url: this.url, n: this.n };
  }
}

@Actor
class Other {
  @Ask
  ping(): string {
    return 'pong';
  }
}

describe('virtual actors (seeds, in one process)', () => {
  let members: Cluster[] = [];
  let urls: string[] = [];
  let name = '';

  async function join(i: number, options: { idleTimeout?: number; kinds?: Function[] } = {}): Promise<Cluster> {
    const c = await joinCluster({
      name,
      url: urls[i]!,
      membership: { seeds: [urls[0]!] },
      kinds: (options.kinds ?? [Counter]) as never,
      idleTimeout: options.idleTimeout ?? 60,
      ttl: 1.5,
    });
    members.push(c);
    return c;
  }

  beforeEach(async () => {
    name = `vt${Date.now().toString(36)}`;
    urls = [];
    for (let i = 0; i < 3; i++) urls.push(`grpc://127.0.0.1:${await freePort()}/`);
  });

  afterEach(async () => {
    // the seed (members[0]) last
    for (const c of members.reverse()) await c.close();
    members = [];
    await shutdown();
  });

  it('activates an identity once, on its rendezvous owner, and routes every caller there', async () => {
    const a = await join(0);
    const b = await join(1);
    const c = await join(2);
    await waitFor(() => a.members().length === 3 && b.members().length === 3 && c.members().length === 3);
    const activated: ActivationRecord[] = [];
    for (const m of [a, b, c]) m.on('activated', (r) => activated.push(r));

    const key = 'user-42';
    const expected = owner(
      `Counter/${key}`,
      'Counter',
      a.members().map((m) => ({ ...m, leaseUntil: 0, incarnation: 1 })),
    )!.url;
    const fromA = a.get(Counter, key);
    expect(fromA.getUrl()).toBe(`cluster://${name}/Counter/${key}`);
    const r1 = await fromA.add(1);
    const r2 = await b.get(Counter, key).add(2);
    c.get(Counter, key).bump();
    const r3 = await c.get(Counter, key).add(3);
    expect(r1).toEqual({ id: `Counter/${key}`, url: `${expected}Counter/${key}`, n: 1 });
    expect(r2.n).toBe(3);
    expect(r3.n).toBe(7);
    expect(activated.map((r) => [r.identity, r.member])).toEqual([[`Counter/${key}`, expected]]);
    expect(a.get(Counter, key).equals(b.get(Counter, key))).toBe(true);
  });

  it('passivates an idle activation and activates it again on the next call', async () => {
    const a = await join(0, { idleTimeout: 0.3 });
    const passivated = new Promise<ActivationRecord>((resolve) => a.once('passivated', resolve));
    const p = a.get(Counter, 'k');
    const host = getLocalHost(urls[0])!;
    expect((await p.add(5)).n).toBe(5);
    // the host finds the active identity's direct id by a route of its own
    expect(host.routedIds).toBe(1);
    const r = await passivated;
    expect(r.reason).toBe('idle');
    expect(r.end).toBeGreaterThanOrEqual(r.start);
    expect(a.activeHere()).toEqual([]);
    expect(host.routedIds).toBe(0);
    // a fresh activation: the state started again, with a larger epoch
    const again = new Promise<ActivationRecord>((resolve) => a.once('activated', resolve));
    expect((await p.add(1)).n).toBe(1);
    expect((await again).epoch).toBeGreaterThan(r.epoch);
    expect(host.routedIds).toBe(1);
  });

  it("serves a call to an activation's own actor id (its this.proxy, a proxy by URL) only under its lease", async () => {
    const a = await join(0, { kinds: [] });
    const b = await join(1);
    await waitFor(() => a.members().length === 2 && b.members().length === 2);
    const first = await a.get(Counter, 'own').add(1);
    expect(first.url).toBe(`${urls[1]}Counter/own`);
    // a proxy to the actor's own URL, from a host outside the cluster
    const outside = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const byUrl = await outside.lookupUrl<Counter>(first.url, Counter);
    expect((await byUrl.add(1)).n).toBe(2);
    // the activation's lease reads as ended before its deadline timer has stopped it (a
    // member whose timers run late): a call to the actor's id must not reach it any more
    const lost = new Promise<ActivationRecord>((resolve) => b.on('passivated', (r) => r.reason === 'lease-lost' && resolve(r)));
    const acts = (b as unknown as { activations: { acts: Map<string, { validUntil: number }> } }).activations.acts;
    acts.get('Counter/own')!.validUntil = 0;
    const after = await byUrl.add(1);
    // served by the next activation (the state starts again), never by the one without a lease
    expect(after.n).toBe(1);
    expect((await lost).identity).toBe('Counter/own');
  });

  it('hands activations over on leave: callers see no error and the state moves', async () => {
    const a = await join(0);
    const b = await join(1);
    const c = await join(2);
    await waitFor(() => a.members().length === 3 && b.members().length === 3 && c.members().length === 3);
    // 12 keys, 4 of them placed on b (placement depends on the cluster's name, new per test)
    const view = a.members().map((m) => ({ ...m, leaseUntil: 0, incarnation: 1 }));
    const onBFirst: string[] = [];
    const elsewhere: string[] = [];
    for (let i = 0; onBFirst.length < 4 || elsewhere.length < 8; i++) {
      const k = `k${i}`;
      if (owner(`Counter/${k}`, 'Counter', view)!.url === urls[1]) {
        if (onBFirst.length < 4) onBFirst.push(k);
      } else if (elsewhere.length < 8) elsewhere.push(k);
    }
    const keys = [...onBFirst, ...elsewhere];
    for (const k of keys) await a.get(Counter, k).add(1);
    const onB = b.activeHere();
    expect(onB.length).toBeGreaterThan(0);
    // calls keep flowing while b leaves
    const state = { stop: false };
    const errors: unknown[] = [];
    const load = (async () => {
      while (!state.stop) {
        for (const k of keys)
          await a
            .get(Counter, k)
            .add(1)
            .then(undefined, (e: unknown) => errors.push(e));
      }
    })();
    await b.leave();
    await waitFor(() => a.members().length === 2 && c.members().length === 2);
    state.stop = true;
    await load;
    expect(errors).toEqual([]);
    expect(b.activeHere()).toEqual([]);
    for (const id of onB) {
      const k = id.slice('Counter/'.length);
      const r = await c.get(Counter, k).add(0);
      expect(r.url.startsWith(urls[1]!)).toBe(false);
    }
    members = members.filter((m) => m !== b);
  });

  it('refuses a kind no member declares, and bad arguments, with specific errors', async () => {
    const a = await join(0);
    await expect(a.get(Other, 'x').ping()).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(a.get(Other, 'x').ping()).rejects.toThrow(/no live member of cluster '.*' declares kind 'Other'/);
    expect(() => a.get(class NotAnActor {}, 'x')).toThrow(ClusterArgumentError);
    expect(() => a.get(Counter, '')).toThrow(ClusterArgumentError);
    expect(() => a.get(Counter, 'has space')).toThrow(ClusterArgumentError);
    await expect(joinCluster({ name, url: urls[1]!, membership: 'mysql://x' })).rejects.toThrow(/membership "mysql:\/\/x" is not known/);
    await expect(joinCluster({ name, url: 'local://x:1/', membership: { seeds: [urls[0]!] } })).rejects.toThrow(/not a gRPC host URL/);
  });
});

/** Two cluster names with the same short tag (found by the birthday paradox at once). */
function namesWithOneTag(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const name = `tag-${i}`;
    const other = seen.get(nameTag(name));
    if (other !== undefined) return [other, name];
    seen.set(nameTag(name), name);
  }
}

describe('clusters joined on one host', () => {
  afterEach(async () => {
    await shutdown();
  });

  it('refuses a second cluster whose name has the same short tag as the first, which goes on', async () => {
    const [first, second] = namesWithOneTag();
    const url = `grpc://127.0.0.1:${await freePort()}/`;
    const a = await joinCluster({ name: first, url, membership: { seeds: [url] }, kinds: [Counter], ttl: 1.5 });
    try {
      const e = await joinCluster({ name: second, url, membership: { seeds: [url] }, kinds: [Counter], ttl: 1.5 }).catch(
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(AlreadyExistsError);
      expect((e as Error).message).toContain(`cluster '${second}' cannot be served on host ${url}`);
      expect((await a.get(Counter, 'k').add(1)).n).toBe(1);
    } finally {
      await a.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

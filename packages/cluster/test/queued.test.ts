/**
 * Calls already queued on a virtual actor when its activation ends: a caller's calls reach
 * the actor's mailbox straight from the transport, so an activation that passivates lets the
 * actor handle them first, and one whose lease is lost hands them to the next activation.
 * Either way each is handled once.
 */
import { Actor, Ask, Tell, shutdown } from 'tsactor';
import { RedisMembership, joinCluster, type ActivationRecord, type Cluster, type MembershipProvider } from '@tsactor/cluster';
import { freePort, waitFor } from './members';
import { REDIS_URL, describeWithService, uniqueName } from './services';

/** bump() calls handled, by every activation of every test */
let handled = 0;
/** called when `handled` reaches CALLS */
let allHandled: () => void = () => undefined;
/** hold() keeps the actor's mailbox until release() */
let release: () => void = () => undefined;

@Actor
class Gated {
  private n = 0;
  @Tell
  async hold(): Promise<void> {
    await new Promise<void>((resolve) => (release = resolve));
  }
  @Tell
  bump(): void {
    this.n++;
    if (++handled === CALLS) allHandled();
  }
  @Ask
  count(): number {
    return this.n;
  }
}

const CALLS = 500;

/**
 * Holds the mailbox of `key`'s actor (on the only member serving Gated, `server`), then
 * sends CALLS bumps, which queue behind the hold. An ask to another identity on the same
 * member goes over the same connection after them: once it answers, they have all arrived.
 */
async function queueBehindHold(caller: Cluster, key: string): Promise<void> {
  const g = caller.get(Gated, key);
  expect(await g.count()).toBe(0);
  g.hold();
  for (let i = 0; i < CALLS; i++) g.bump();
  expect(await caller.get(Gated, `${key}-other`).count()).toBe(0);
}

beforeEach(() => {
  handled = 0;
});

afterEach(async () => {
  release();
  await shutdown();
});

describe('calls queued on a virtual actor (seeds)', () => {
  it('a member that leaves lets the actor handle the calls it has queued before handing it over', async () => {
    const name = uniqueName('queued');
    const urls = [`grpc://127.0.0.1:${await freePort()}/`, `grpc://127.0.0.1:${await freePort()}/`];
    const a = await joinCluster({ name, url: urls[0]!, membership: { seeds: [urls[0]!] }, kinds: [], ttl: 1.5 });
    const b = await joinCluster({ name, url: urls[1]!, membership: { seeds: [urls[0]!] }, kinds: [Gated], ttl: 1.5 });
    try {
      await waitFor(() => a.members().length === 2 && b.members().length === 2);
      await queueBehindHold(a, 'g');
      const passivated: ActivationRecord[] = [];
      b.on('passivated', (r) => passivated.push(r));
      const left = b.leave();
      release();
      await left;
      expect(handled).toBe(CALLS);
      expect(passivated.map((r) => [r.identity, r.reason]).sort()).toEqual([
        ['Gated/g', 'leave'],
        ['Gated/g-other', 'leave'],
      ]);
    } finally {
      await a.close();
    }
  });
});

describeWithService('Redis', 'calls queued on a virtual actor (Redis)', () => {
  it('a lost activation lease hands the calls its actor has not handled to the next activation: each handled once', async () => {
    const name = uniqueName('queued');
    const urls = [`grpc://127.0.0.1:${await freePort()}/`, `grpc://127.0.0.1:${await freePort()}/`];
    const real = await RedisMembership.connect({ name, url: REDIS_URL });
    // the next renewal of an activation lease says it is gone (once)
    let loseNext = false;
    const provider = new Proxy(real, {
      get(target, prop, receiver): unknown {
        if (prop === 'renewActivation' && loseNext) {
          loseNext = false;
          return () => Promise.resolve(null);
        }
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    }) as MembershipProvider;
    const a = await joinCluster({ name, url: urls[0]!, membership: REDIS_URL, kinds: [], ttl: 1.5 });
    const b = await joinCluster({ name, url: urls[1]!, membership: provider, kinds: [Gated], ttl: 1.5 });
    try {
      await waitFor(() => a.members().length === 2 && b.members().length === 2);
      const records: Array<[string, ActivationRecord]> = [];
      b.on('activated', (r) => records.push(['activated', r]));
      const leaseLost = new Promise<ActivationRecord>((resolve) =>
        b.on('passivated', (r) => {
          records.push(['passivated', r]);
          if (r.reason === 'lease-lost') resolve(r);
        }),
      );
      const bumped = new Promise<void>((resolve) => (allHandled = resolve));
      await queueBehindHold(a, 'g');
      loseNext = true;
      const lost = await leaseLost;
      // the old actor never got past hold(); the next activation (after the old lease ends) handles every bump
      await bumped;
      expect(await a.get(Gated, 'g').count()).toBe(CALLS);
      expect(handled).toBe(CALLS);
      const next = records.find(([what, r]) => what === 'activated' && r.identity === lost.identity && r.epoch > lost.epoch);
      expect(lost.identity).toBe('Gated/g');
      expect(next).toBeDefined();
      expect(next![1].start).toBeGreaterThanOrEqual(lost.end!);
    } finally {
      await b.close();
      await a.close();
      const cleanup = await RedisMembership.connect({ name, url: REDIS_URL });
      await cleanup.destroy();
      await cleanup.close();
    }
  });
});

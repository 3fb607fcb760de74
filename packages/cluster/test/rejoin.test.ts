/**
 * A member that comes back, in one process: members (gRPC hosts) of a cluster whose table is a
 * SeedTable of the test, reached through a link the test can cut, slow down or hold up. A
 * member whose lease was lost joins again however its rejoin goes; a member replaced by a new
 * incarnation is not declared down to the transport; identities taken over from a member that
 * was avoided go back to it once the avoidance is over; a call forwarded to a member that is
 * not the owner goes on to the owner.
 */
import { Actor, ActorBase, Ask, shutdown } from 'tsactor';
import { makeProxy, router } from '@tsactor/core/internal';
import {
  joinCluster,
  MembershipUnavailableError,
  owner,
  SeedMembership,
  SeedTable,
  type ActivationRecord,
  type Cluster,
  type SeedLink,
} from '@tsactor/cluster';
import { GATEWAY_DESCRIPTION, gatewayId } from '../src/gateway';
import type { Placement } from '../src/placement';
import { freePort } from './members';

@Actor
class Counter extends ActorBase {
  private n = 0;
  @Ask
  add(k: number): { url: string; n: number } {
    this.n += k;
    return { url: this.url, n: this.n };
  }
}

const TTL = 0.6;

describe('a member that comes back', () => {
  let table: SeedTable;
  let name: string;
  const members: Cluster[] = [];
  /** what the link does to the next requests (see `link`) */
  let store: { away: boolean; lateJoin: boolean; stallAfterJoin: boolean; renewed: number };
  /** requests sent before this instant are held until it (the link stalls) */
  let stalledUntil = 0;

  /**
   * The link of every member to the table: rejects while `away`; holds up the answer of the
   * next join (handled at once) by twice the TTL when `lateJoin`; when `stallAfterJoin`, holds
   * every request for twice the TTL once the next join is answered; counts the renewals the
   * table accepted.
   */
  const link: SeedLink = async (req) => {
    if (store.away) throw new Error('connection timed out');
    // a store over the network: every answer takes a moment
    await new Promise((resolve) => setTimeout(resolve, 2));
    const held = stalledUntil - Date.now();
    if (held > 0) await new Promise((resolve) => setTimeout(resolve, held));
    const late = req.op === 'join' && store.lateJoin;
    if (late) store.lateJoin = false;
    const answer = await table.handle(req);
    if (late) await new Promise((resolve) => setTimeout(resolve, 2 * TTL * 1000));
    if (req.op === 'join' && store.stallAfterJoin) {
      store.stallAfterJoin = false;
      stalledUntil = Date.now() + 2 * TTL * 1000;
    }
    if (req.op === 'renew' && (answer as { ok: boolean }).ok) store.renewed++;
    return answer;
  };

  async function join(): Promise<Cluster> {
    const c = await joinCluster({
      name,
      url: `grpc://127.0.0.1:${await freePort()}/`,
      membership: new SeedMembership({ name, link, watchWait: 1 }),
      kinds: [Counter],
      ttl: TTL,
    });
    members.push(c);
    return c;
  }

  beforeEach(() => {
    name = `rj${Date.now().toString(36)}`;
    table = new SeedTable({ name });
    store = { away: false, lateJoin: false, stallAfterJoin: false, renewed: 0 };
    stalledUntil = 0;
  });

  afterEach(async () => {
    for (const c of members.splice(0)) await c.close();
    table.close();
    await shutdown();
  });

  /** Cuts `a` off the table until its lease is lost, then lets the table answer again, as `then` says. */
  async function loseLease(a: Cluster, then: { lateJoin?: boolean; stallAfterJoin?: boolean }): Promise<void> {
    const lost = new Promise<Error>((resolve) =>
      a.on('error', (e) => {
        if (/lost its lease/.test(e.message)) resolve(e);
      }),
    );
    store.away = true;
    // the store did not keep the lease: an error of the membership's availability, not of an argument
    expect(await lost).toBeInstanceOf(MembershipUnavailableError);
    store.renewed = 0;
    Object.assign(store, then);
    store.away = false;
  }

  it('joins again when the store answers its rejoin too late to trust the lease', async () => {
    const a = await join();
    await loseLease(a, { lateJoin: true });
    // renewed twice under its new incarnation: it is back, and stays
    await waitFor(() => store.renewed >= 2);
    expect(a.members().map((m) => m.url)).toEqual([a.url]);
  });

  it('joins again when its lease is lost once more while it rejoins', async () => {
    const a = await join();
    // the link stalls again once the rejoin is answered, until the new lease is lost too
    await loseLease(a, { stallAfterJoin: true });
    await waitFor(() => store.renewed >= 2);
    expect(a.members().map((m) => m.url)).toEqual([a.url]);
  });

  it('does not declare a member down to the transport when a new incarnation of it replaced it', async () => {
    const a = await join();
    const declared: string[] = [];
    const spy = jest.spyOn(router, 'declareDown').mockImplementation((base) => void declared.push(base));
    try {
      const other = new SeedMembership({ name, link: table.link() });
      const url = 'grpc://127.0.0.1:9/';
      const event = (ev: 'member-up' | 'member-down'): Promise<void> =>
        new Promise((resolve) =>
          a.on(ev, (m) => {
            if (m.url === url) resolve();
          }),
        );
      let up = event('member-up');
      await other.join({ url, kinds: [] }, 30);
      await up;
      // the same URL joins again (back from a partition): its connections must not be failed
      up = event('member-up');
      const second = await other.join({ url, kinds: [] }, 30);
      await up;
      expect(declared).toEqual([]);
      // it leaves: calls waiting on it fail now
      const down = event('member-down');
      await other.leave(url, second.incarnation);
      await down;
      expect(declared).toEqual([url]);
    } finally {
      spy.mockRestore();
    }
  });

  it('gives the identities it took over from an avoided member back once the avoidance is over', async () => {
    const a = await join();
    const b = await join();
    await waitFor(() => a.members().length === 2 && b.members().length === 2);
    const key = keyOwnedBy(b, a.members());
    // a call to b failed (HostDownError): a avoids b, and serves b's identity itself
    (a as unknown as { placement: Placement }).placement.markUnreachable(b.url);
    expect((await a.get(Counter, key).add(1)).url.startsWith(a.url)).toBe(true);
    // no membership event follows; once the avoidance ended (2 TTL), the next renewal of the
    // activation's lease finds it on the wrong member, and the identity goes back to b
    const passivated: ActivationRecord[] = [];
    a.on('passivated', (r) => passivated.push(r));
    await waitFor(() => passivated.length > 0);
    expect(passivated).toMatchObject([{ identity: `Counter/${key}`, reason: 'rebalance' }]);
    expect((await b.get(Counter, key).add(1)).url.startsWith(b.url)).toBe(true);
  });

  it('sends a call forwarded to a member that is not the owner on to the owner', async () => {
    const a = await join();
    const b = await join();
    await waitFor(() => a.members().length === 2 && b.members().length === 2);
    const key = keyOwnedBy(b, a.members());
    // as a member does that found the identity's lease held by a (which is handing it over)
    const id = gatewayId(name);
    const gateway = makeProxy<{ call(identity: string, method: string, args: unknown[], hop: number): Promise<{ url: string }> }>(
      { url: a.url + id, base: a.url, id, desc: GATEWAY_DESCRIPTION },
      { timeout: 5 },
    );
    const r = await gateway.call(`Counter/${key}`, 'add', [1], 1);
    expect(r.url.startsWith(b.url)).toBe(true);
    expect(a.activeHere()).toEqual([]);
    expect(b.activeHere()).toEqual([`Counter/${key}`]);
  });
});

/** A key of Counter whose owner among `members` is `m`. */
function keyOwnedBy(m: Cluster, members: ReturnType<Cluster['members']>): string {
  const records = members.map((x) => ({ ...x, leaseUntil: 0, incarnation: 1 }));
  for (let i = 0; ; i++) if (owner(`Counter/k${i}`, 'Counter', records)?.url === m.url) return `k${i}`;
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

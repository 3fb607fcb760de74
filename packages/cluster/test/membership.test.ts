/**
 * The Membership driver over the seeds provider (in process): renewals, lease loss, events.
 */
import { Membership, MembershipClosedError, MembershipUnavailableError, SeedMembership, SeedTable, type SeedLink } from '@tsactor/cluster';
import { nextEvent } from './contract';

describe('Membership', () => {
  let table: SeedTable;
  let provider: SeedMembership;
  const memberships: Membership[] = [];

  function create(options: ConstructorParameters<typeof Membership>[1], link?: SeedLink): Membership {
    const m = new Membership(link === undefined ? provider : new SeedMembership({ name: 'shop', link }), options);
    memberships.push(m);
    return m;
  }

  beforeEach(() => {
    table = new SeedTable({ name: 'shop' });
    provider = new SeedMembership({ name: 'shop', link: table.link() });
  });

  afterEach(async () => {
    for (const m of memberships.splice(0)) await m.close();
    await provider.close();
    table.close();
  });

  it('reports lease-lost (expired) when the store no longer has its row', async () => {
    const m = create({ ttl: 0.6 });
    const me = await m.join({ url: 'grpc://a/', kinds: ['Cart'] });
    const lost = new Promise((resolve) => m.once('lease-lost', resolve));
    // another process removes the row (as an operator or a split brain would)
    await provider.leave(me.url, me.incarnation);
    expect(await lost).toBe('expired');
    expect(m.member).toBeUndefined();
    // joining again gives a new incarnation
    const again = await m.join({ url: 'grpc://a/', kinds: ['Cart'] });
    expect(again.incarnation).toBeGreaterThan(me.incarnation);
  });

  it('reports lease-lost (unrenewable) before the lease can end when the store is away', async () => {
    let away = false;
    const link: SeedLink = (req) => (away ? Promise.reject(new Error('connection refused')) : table.handle(req));
    const m = create({ ttl: 1, margin: 0.4 }, link);
    const errors: Error[] = [];
    m.on('store-error', (e) => errors.push(e));
    await m.join({ url: 'grpc://a/', kinds: ['Cart'] });
    // the last renewal that reached the store was sent before this instant
    const lastSent = Date.now();
    away = true;
    const reason = await new Promise((resolve) => m.once('lease-lost', resolve));
    const lostAt = Date.now();
    expect(reason).toBe('unrenewable');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].message).toMatch(/the seed did not answer \(connection refused\)/);
    // it gave up before the store could let the lease go: within lastSent + ttl
    expect(lostAt).toBeLessThan(lastSent + 1000);
    // and the store still had the row at that moment
    expect((await provider.list()).map((r) => r.url)).toEqual(['grpc://a/']);
  });

  it('refuses a join the store answers too late to trust its lease; the next join holds', async () => {
    let late = 0;
    // the store handles the join at once, but its answer is held up (a partition healing)
    const link: SeedLink = async (req) => {
      const answer = await table.handle(req);
      if (req.op === 'join' && late > 0) await new Promise((resolve) => setTimeout(resolve, late));
      return answer;
    };
    const m = create({ ttl: 0.5 }, link);
    const lost: unknown[] = [];
    m.on('lease-lost', (reason) => lost.push(reason));
    late = 600;
    await expect(m.join({ url: 'grpc://a/', kinds: ['Cart'] })).rejects.toThrow(MembershipUnavailableError);
    await expect(m.join({ url: 'grpc://a/', kinds: ['Cart'] })).rejects.toThrow(
      /the store answered the join of grpc:\/\/a\/ \d+ ms after it was sent, too late to trust its 0\.5 s lease; join again/,
    );
    expect(m.member).toBeUndefined();
    late = 0;
    const me = await m.join({ url: 'grpc://a/', kinds: ['Cart'] });
    expect(m.member).toEqual(me);
    // a lease it never trusted was never lost
    expect(lost).toEqual([]);
  });

  it('reports member-up, member-down and a replaced incarnation to a watcher', async () => {
    const watcher = create({ ttl: 30, refreshInterval: 600 });
    await watcher.start();
    const a = create({ ttl: 30 });
    const up = nextEvent(watcher, 'member-up', (r) => r.url === 'grpc://a/');
    const first = await a.join({ url: 'grpc://a/', kinds: ['Cart'] });
    expect((await up).incarnation).toBe(first.incarnation);

    // the same URL joins again (a restarted process): the old incarnation goes down, the new one comes up
    const down = nextEvent(watcher, 'member-down', (r) => r.incarnation === first.incarnation);
    const up2 = nextEvent(watcher, 'member-up', (r) => r.url === 'grpc://a/' && r.incarnation !== first.incarnation);
    const second = await provider.join({ url: 'grpc://a/', kinds: ['Cart'] }, 30);
    expect((await down).status).toBe('down');
    expect((await up2).incarnation).toBe(second.incarnation);
    expect(watcher.members().map((r) => r.incarnation)).toEqual([second.incarnation]);
  });

  it('leave removes the member for the others at once', async () => {
    const watcher = create({ ttl: 30, refreshInterval: 600 });
    await watcher.start();
    const a = create({ ttl: 30 });
    await a.join({ url: 'grpc://a/', kinds: [] });
    await a.refresh();
    const down = nextEvent(watcher, 'member-down', (r) => r.url === 'grpc://a/');
    await a.leave();
    await down;
    expect(a.member).toBeUndefined();
    expect(await provider.list()).toEqual([]);
  });

  it('cannot be used after close', async () => {
    const m = create({ ttl: 1 });
    await m.close();
    await expect(m.join({ url: 'grpc://a/', kinds: [] })).rejects.toThrow(MembershipClosedError);
  });
});

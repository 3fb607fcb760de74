/**
 * The behaviour every membership provider must have, run against Redis, PostgreSQL and the
 * seeds. Each test uses a cluster name of its own, so runs never see each other's rows, and
 * destroys its rows at the end.
 */
import { ClusterArgumentError, Membership, type MemberRecord, type MembershipProvider } from '@tsactor/cluster';
import { uniqueName } from './services';

/** Opens providers of one kind; `destroy` removes a cluster's rows (after its providers closed). */
export interface ProviderFactory {
  open(name: string): Promise<MembershipProvider>;
  destroy(name: string): Promise<void>;
}

/** Resolves with the first `event` whose member matches; fails the test if none comes in `ms`. */
export function nextEvent(
  m: Membership,
  event: 'member-up' | 'member-down' | 'member-suspect',
  match: (member: MemberRecord) => boolean,
  ms = 10_000,
): Promise<MemberRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      m.off(event, on);
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const on = (member: MemberRecord) => {
      if (!match(member)) return;
      clearTimeout(timer);
      m.off(event, on);
      resolve(member);
    };
    m.on(event, on);
  });
}

export function describeProviderContract(label: string, factory: ProviderFactory): void {
  let name: string;
  let opened: MembershipProvider[] = [];
  let memberships: Membership[] = [];

  async function open(): Promise<MembershipProvider> {
    const p = await factory.open(name);
    opened.push(p);
    return p;
  }
  function watch(p: MembershipProvider, options?: ConstructorParameters<typeof Membership>[1]): Membership {
    const m = new Membership(p, options);
    memberships.push(m);
    return m;
  }

  beforeEach(() => {
    name = uniqueName(label);
  });

  afterEach(async () => {
    for (const m of memberships) await m.close();
    for (const p of opened) await p.close();
    memberships = [];
    opened = [];
    await factory.destroy(name);
  });

  it('lists joined members sorted by URL with their kinds, and drops those that leave', async () => {
    const p = await open();
    const b = await p.join({ url: 'grpc://b:1/', kinds: ['Cart'] }, 30);
    const a = await p.join({ url: 'grpc://a:1/', kinds: ['Cart', 'User'] }, 30);
    expect(a.status).toBe('up');
    expect(a.incarnation).not.toBe(b.incarnation);
    const listed = await p.list();
    expect(listed.map((m) => [m.url, m.kinds, m.status, m.incarnation])).toEqual([
      ['grpc://a:1/', ['Cart', 'User'], 'up', a.incarnation],
      ['grpc://b:1/', ['Cart'], 'up', b.incarnation],
    ]);
    for (const m of listed) expect(m.leaseUntil).toBeGreaterThan(Date.now() + 20_000);

    await p.leave(a.url, a.incarnation);
    expect((await p.list()).map((m) => m.url)).toEqual(['grpc://b:1/']);

    // a new join of a URL gets a larger incarnation; the old one can neither renew nor leave
    const a2 = await p.join({ url: 'grpc://a:1/', kinds: ['User'] }, 30);
    expect(a2.incarnation).toBeGreaterThan(a.incarnation);
    expect(await p.renew(a.url, a.incarnation, 30)).toBeNull();
    await p.leave(a.url, a.incarnation);
    expect((await p.list()).map((m) => [m.url, m.incarnation])).toEqual([
      ['grpc://a:1/', a2.incarnation],
      ['grpc://b:1/', b.incarnation],
    ]);
  });

  it('keeps clusters with different names apart', async () => {
    const p = await open();
    const other = await factory.open(uniqueName(label));
    try {
      await p.join({ url: 'grpc://a:1/', kinds: [] }, 30);
      await other.join({ url: 'grpc://z:1/', kinds: [] }, 30);
      expect((await p.list()).map((m) => m.url)).toEqual(['grpc://a:1/']);
      expect((await other.list()).map((m) => m.url)).toEqual(['grpc://z:1/']);
      const l = await p.acquire('Cart/1', 'grpc://a:1/', 30);
      expect(l.acquired).toBe(true);
      expect((await other.acquire('Cart/1', 'grpc://z:1/', 30)).acquired).toBe(true);
    } finally {
      await other.close();
      await factory.destroy(other.name);
    }
  });

  it('renews a live lease and refuses to revive one that expired', async () => {
    const p = await open();
    const a = await p.join({ url: 'grpc://a:1/', kinds: ['Cart'] }, 30);
    const renewed = await p.renew(a.url, a.incarnation, 40);
    expect(renewed).toMatchObject({ url: a.url, kinds: ['Cart'], incarnation: a.incarnation, status: 'up' });
    expect(renewed!.leaseUntil).toBeGreaterThan(Date.now() + 30_000);

    const watcher = watch(p, { ttl: 30, refreshInterval: 60 });
    await watcher.start();
    const b = await p.join({ url: 'grpc://b:1/', kinds: [] }, 0.5);
    const down = nextEvent(watcher, 'member-down', (m) => m.url === b.url);
    await watcher.refresh();
    await down;
    expect(await p.renew(b.url, b.incarnation, 30)).toBeNull();
    expect((await p.list()).map((m) => m.url)).toEqual(['grpc://a:1/']);
  });

  it('a member whose lease is not renewed disappears when it expires, while a renewing one stays', async () => {
    const p = await open();
    const q = await open();
    const watcher = watch(q, { ttl: 30, refreshInterval: 60 });
    await watcher.start();
    const renewing = watch(p, { ttl: 1 });
    const kept = await renewing.join({ url: 'grpc://kept:1/', kinds: ['Cart'] });

    const up = nextEvent(watcher, 'member-up', (m) => m.url === 'grpc://lapsing:1/');
    const joinedAt = Date.now();
    await p.join({ url: 'grpc://lapsing:1/', kinds: ['Cart'] }, 1);
    await up;
    const down = await nextEvent(watcher, 'member-down', (m) => m.url === 'grpc://lapsing:1/');
    expect(down.status).toBe('down');
    // not before its lease could have ended
    expect(Date.now()).toBeGreaterThanOrEqual(joinedAt + 1000 - 50);
    // the renewing member outlived its 1 s TTL: it is still there, same incarnation
    expect((await q.list()).map((m) => [m.url, m.incarnation])).toEqual([['grpc://kept:1/', kept.incarnation]]);
    expect(watcher.members().map((m) => m.url)).toEqual(['grpc://kept:1/']);
    expect(renewing.member?.incarnation).toBe(kept.incarnation);
  });

  it('tells other providers of joins and leaves through its notifications', async () => {
    const p = await open();
    const q = await open();
    // no periodic reads within the test: only the notification can bring the news
    const watcher = watch(q, { ttl: 30, refreshInterval: 600 });
    await watcher.start();
    expect(watcher.members()).toEqual([]);

    const up = nextEvent(watcher, 'member-up', (m) => m.url === 'grpc://a:1/');
    const a = await p.join({ url: 'grpc://a:1/', kinds: ['Cart'] }, 30);
    expect(await up).toMatchObject({ url: a.url, kinds: ['Cart'], incarnation: a.incarnation, status: 'up' });
    expect(watcher.members().map((m) => m.url)).toEqual(['grpc://a:1/']);

    const down = nextEvent(watcher, 'member-down', (m) => m.url === 'grpc://a:1/');
    await p.leave(a.url, a.incarnation);
    expect(await down).toMatchObject({ url: a.url, incarnation: a.incarnation, status: 'down' });
    expect(watcher.members()).toEqual([]);
  });

  it('gives an activation lease to one of two contenders, and tells the other who holds it', async () => {
    const p = await open();
    const q = await open();
    const [x, y] = await Promise.all([p.acquire('Cart/user-42', 'grpc://a:1/', 30), q.acquire('Cart/user-42', 'grpc://b:1/', 30)]);
    const results = [x, y];
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const won = winners[0]?.lease;
    const lost = results.find((r) => !r.acquired)!;
    expect(lost.holder).toMatchObject({ memberUrl: won!.memberUrl, epoch: won!.epoch });
    expect(await p.isCurrent('Cart/user-42', won!.epoch)).toBe(true);
    // even its own holder cannot take it twice
    expect((await q.acquire('Cart/user-42', won!.memberUrl, 30)).acquired).toBe(false);
    // another identity is independent
    expect((await q.acquire('Cart/user-43', 'grpc://b:1/', 30)).acquired).toBe(true);
  });

  it("releases only the holder's lease, and each new acquisition has a larger epoch", async () => {
    const p = await open();
    const first = await p.acquire('User/7', 'grpc://a:1/', 30);
    if (!first.acquired) throw new Error('first acquisition failed');
    const forged = { ...first.lease, memberUrl: 'grpc://b:1/' };
    expect(await p.release(forged)).toBe(false);
    expect(await p.renewActivation(forged, 30)).toBeNull();
    expect(await p.release({ ...first.lease, epoch: first.lease.epoch + 1 })).toBe(false);
    expect(await p.isCurrent('User/7', first.lease.epoch)).toBe(true);

    expect(await p.release(first.lease)).toBe(true);
    expect(await p.release(first.lease)).toBe(false);
    expect(await p.isCurrent('User/7', first.lease.epoch)).toBe(false);

    const second = await p.acquire('User/7', 'grpc://b:1/', 30);
    if (!second.acquired) throw new Error('acquisition after release failed');
    expect(second.lease.epoch).toBeGreaterThan(first.lease.epoch);
    expect(await p.renewActivation(first.lease, 30)).toBeNull();
    const third = await p.acquire('User/7', 'grpc://a:1/', 30);
    expect(third.acquired).toBe(false);
    await p.release(second.lease);
    const fourth = await p.acquire('User/7', 'grpc://a:1/', 30);
    if (!fourth.acquired) throw new Error('acquisition after the second release failed');
    expect(fourth.lease.epoch).toBeGreaterThan(second.lease.epoch);
  });

  it('a stale holder can neither renew nor release once another member acquired after expiry', async () => {
    const p = await open();
    const q = await open();
    const a = await p.acquire('Cart/9', 'grpc://a:1/', 0.3);
    if (!a.acquired) throw new Error('first acquisition failed');
    // the holder renews in time: the lease stays its own
    const renewed = await p.renewActivation(a.lease, 0.3);
    expect(renewed).toMatchObject({ identity: 'Cart/9', memberUrl: 'grpc://a:1/', epoch: a.lease.epoch });
    expect((await q.acquire('Cart/9', 'grpc://b:1/', 30)).acquired).toBe(false);

    // then stops renewing; b takes the identity as soon as the store lets it go
    let b = await q.acquire('Cart/9', 'grpc://b:1/', 30);
    for (let i = 0; !b.acquired && i < 100; i++) {
      const left = Math.max(1, b.holder.leaseUntil - Date.now());
      await new Promise((r) => setTimeout(r, Math.min(left, 200)));
      b = await q.acquire('Cart/9', 'grpc://b:1/', 30);
    }
    if (!b.acquired) throw new Error('the expired lease was never given to another member');
    expect(b.lease.epoch).toBeGreaterThan(a.lease.epoch);
    expect(await p.renewActivation(a.lease, 30)).toBeNull();
    expect(await p.release(a.lease)).toBe(false);
    expect(await p.isCurrent('Cart/9', a.lease.epoch)).toBe(false);
    expect(await p.isCurrent('Cart/9', b.lease.epoch)).toBe(true);
  });

  it('refuses bad arguments with ClusterArgumentError naming them', async () => {
    const p = await open();
    await expect(p.join({ url: 'grpc://a b/', kinds: [] }, 10)).rejects.toThrow(ClusterArgumentError);
    await expect(p.join({ url: 'grpc://a/', kinds: [42 as unknown as string] }, 10)).rejects.toThrow(/kind 42/);
    await expect(p.join({ url: 'grpc://a/', kinds: [] }, 0)).rejects.toThrow(/lease TTL 0 is not valid/);
    await expect(p.acquire('', 'grpc://a/', 10)).rejects.toThrow(/identity "" is not valid/);
    await expect(p.isCurrent('Cart/1', 1.5)).rejects.toThrow(/epoch 1.5 is not valid/);
    expect(await p.list()).toEqual([]);
  });
}

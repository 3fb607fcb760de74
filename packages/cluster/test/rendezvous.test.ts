import { owner, type MemberRecord } from '@tsactor/cluster';

function member(url: string, kinds: string[] = ['Cart'], status: MemberRecord['status'] = 'up'): MemberRecord {
  return { url, kinds, status, leaseUntil: 0, incarnation: 1 };
}

const five = [1, 2, 3, 4, 5].map((i) => member(`grpc://10.0.0.${i}:1277/`));
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function owners(members: MemberRecord[]): Map<string, string> {
  return new Map(keys.map((k) => [k, owner(k, 'Cart', members)!.url]));
}

describe('rendezvous placement', () => {
  it('is deterministic and does not depend on the order of the members', () => {
    const a = owners(five);
    const b = owners([...five].reverse());
    const c = owners([five[2], five[0], five[4], five[1], five[3]]);
    expect([...b.values()]).toEqual([...a.values()]);
    expect([...c.values()]).toEqual([...a.values()]);
  });

  it('spreads 10 000 keys over 5 members within 10% of an even share', () => {
    const counts = new Map<string, number>();
    for (const url of owners(five).values()) counts.set(url, (counts.get(url) ?? 0) + 1);
    expect(counts.size).toBe(5);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(1800);
      expect(n).toBeLessThan(2200);
    }
  });

  it('moves only the keys of a member that leaves (about 1/n of them)', () => {
    const before = owners(five);
    const gone = five[3].url;
    const after = owners(five.filter((m) => m.url !== gone));
    let moved = 0;
    let wrong = 0;
    for (const k of keys) {
      if (before.get(k) === gone) {
        if (after.get(k) === gone) wrong++;
        moved++;
      } else if (after.get(k) !== before.get(k)) {
        wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(moved / keys.length).toBeGreaterThan(0.17);
    expect(moved / keys.length).toBeLessThan(0.23);
  });

  it('gives a member that joins about 1/n of the keys, taken from the others, and moves nothing else', () => {
    const before = owners(five);
    const newcomer = member('grpc://10.0.0.6:1277/');
    const after = owners([...five, newcomer]);
    let taken = 0;
    let wrong = 0;
    for (const k of keys) {
      if (after.get(k) === newcomer.url) taken++;
      else if (after.get(k) !== before.get(k)) wrong++;
    }
    expect(wrong).toBe(0);
    expect(taken / keys.length).toBeGreaterThan(1 / 6 - 0.03);
    expect(taken / keys.length).toBeLessThan(1 / 6 + 0.03);
  });

  it('chooses only live members that declare the kind, and none when there is none', () => {
    const members = [
      member('grpc://a/', ['Cart']),
      member('grpc://b/', ['User']),
      member('grpc://c/', ['Cart', 'User'], 'down'),
      member('grpc://d/', ['User'], 'suspect'),
    ];
    const cartOwners = new Set(keys.slice(0, 500).map((k) => owner(k, 'Cart', members)?.url));
    expect([...cartOwners]).toEqual(['grpc://a/']);
    const userOwners = new Set(keys.slice(0, 500).map((k) => owner(k, 'User', members)?.url));
    expect([...userOwners].sort()).toEqual(['grpc://b/', 'grpc://d/']);
    expect(owner('user-1', 'Order', members)).toBeUndefined();
    expect(owner('user-1', 'Cart', [])).toBeUndefined();
  });

  it('places the same key of different kinds independently', () => {
    const both = five.map((m) => member(m.url, ['Cart', 'User']));
    let differ = 0;
    for (const k of keys.slice(0, 1000)) if (owner(k, 'Cart', both)!.url !== owner(k, 'User', both)!.url) differ++;
    // independent placements agree about 1/5 of the time
    expect(differ).toBeGreaterThan(700);
  });
});

/**
 * The calling side of virtual actors on a known route (the steady state, where an ask's
 * future is its answer slot): an ask refused because the member left goes again to the new
 * owner, a HostDownError naming the member marks it unreachable, and interleaved calls to
 * several identities each keep their own route.
 */
import 'tsactor';
import {
  Actor,
  Ask,
  Future,
  HostDownError,
  NotFoundError,
  getActorDefinition,
  registerTransport,
  type ActorAddress,
  type ActorChannel,
  type Reply,
} from '@tsactor/core/internal';
import { ClusterChannel } from '../src/cluster-channel';
import { directId } from '../src/gateway';
import type { Placement } from '../src/placement';
import type { MemberRecord } from '../src/member';

@Actor
class Counter {
  @Ask
  add(k: number): number {
    return k;
  }
}

interface Sent {
  target: ActorAddress;
  method: string;
  args: unknown[];
  reply: Reply | null;
}

/** The member channels made by the fake transport, by base URL. */
const channels = new Map<string, Sent[]>();

registerTransport({
  schemes: ['vfake'],
  listen: () => Promise.reject(new Error('the fake transport does not listen')),
  connect(base: string): ActorChannel {
    const sent: Sent[] = [];
    channels.set(base, sent);
    return { alive: true, send: (target, method, args, reply) => sent.push({ target, method, args, reply }) };
  },
  closeAll: () => Promise.resolve(),
});

/** A placement whose owner of everything is the first of `owners` not marked unreachable. */
class FakePlacement {
  readonly down = new Set<string>();
  version = 1;
  readonly steady = true;
  constructor(public owners: string[]) {}
  ownerOf(_identity: string, kind: string): MemberRecord | undefined {
    const url = this.owners.find((u) => !this.down.has(u));
    return url === undefined ? undefined : { url, kinds: [kind], status: 'up', leaseUntil: 0, incarnation: 1 };
  }
  markUnreachable(url: string): void {
    this.down.add(url);
    this.version++;
  }
}

/** A channel of cluster 'cc' from a member that only calls, over `placement`. */
function channelOver(placement: FakePlacement): ClusterChannel {
  return new ClusterChannel({ name: 'cc', self: 'vfake://me:1/', placement: placement as unknown as Placement });
}

/** Members of their own for each test (the router keeps the channels it made). */
let serial = 0;
function twoMembers(): [string, string] {
  serial++;
  return [`vfake://a${serial}:1/`, `vfake://b${serial}:1/`];
}

const target: ActorAddress = { url: 'cluster://cc/Counter/k', base: 'cluster://cc/', id: 'Counter/k', desc: getActorDefinition(Counter) };

/** An ask as a proxy makes it: its future from the channel (see ClusterFuture), then sent. */
function ask(ch: ClusterChannel, k: number): Future<number> {
  const f = ch.future(target, 'add', 10, null) as Future<number>;
  ch.send(target, 'add', [k], f);
  return f;
}

describe('virtual actor calls on a known route', () => {
  it('an ask to a member that left goes again to the new owner when it went by route; on a known route it fails, and the next goes there', async () => {
    const [M1, M2] = twoMembers();
    const placement = new FakePlacement([M1, M2]);
    const ch = channelOver(placement);
    const gone = (host: string): NotFoundError =>
      new NotFoundError(`no actor '${directId('cc', 'Counter/k')}' on host ${host} (add() not delivered)`);
    // the first call finds the route (through route(), with an answer slot that can send it again)
    const first = ask(ch, 1);
    const onM1 = channels.get(M1)!;
    expect(onM1[0]!.target.id).toBe(directId('cc', 'Counter/k'));
    onM1[0]!.reply!.resolve(1);
    expect(await first).toBe(1);
    // the second goes on it: its future is its answer slot
    const second = ask(ch, 2);
    expect(onM1).toHaveLength(2);
    // m1 left: the new owner is m2, and m1 no longer knows the direct id
    placement.owners = [M2];
    placement.version++;
    onM1[1]!.reply!.reject(gone(M1));
    await expect(second).rejects.toBeInstanceOf(NotFoundError);
    // the next call takes the new route; refused there as by a member that left, it goes on to the owner then
    const third = ask(ch, 3);
    const onM2 = channels.get(M2)!;
    expect(onM2.map((s) => [s.target.id, s.method, s.args])).toEqual([[directId('cc', 'Counter/k'), 'add', [3]]]);
    placement.owners = [M1];
    placement.version++;
    onM2[0]!.reply!.reject(gone(M2));
    expect(onM1.map((s) => s.args)).toEqual([[1], [2], [3]]);
    onM1[2]!.reply!.resolve(3);
    expect(await third).toBe(3);
  });

  it('a HostDownError naming the member reaches the caller and marks the member unreachable: the next call goes elsewhere', async () => {
    const [M1, M2] = twoMembers();
    const placement = new FakePlacement([M1, M2]);
    const ch = channelOver(placement);
    const first = ask(ch, 1);
    channels.get(M1)![0]!.reply!.resolve(1);
    await first;
    const second = ask(ch, 2);
    channels.get(M1)![1]!.reply!.reject(new HostDownError(`the connection to ${M1} was lost; add() of ${M1}$0abcd/Counter/k not answered`));
    await expect(second).rejects.toBeInstanceOf(HostDownError);
    expect([...placement.down]).toEqual([M1]);
    const third = ask(ch, 3);
    const onM2 = channels.get(M2)!;
    expect(onM2.map((s) => s.args)).toEqual([[3]]);
    onM2[0]!.reply!.resolve(3);
    expect(await third).toBe(3);
  });

  it('calls to several identities, interleaved, each go to its own owner on its own route', () => {
    const [M1, M2] = twoMembers();
    // k1 is M1's, k2 is M2's
    const placement = new FakePlacement([M1]);
    placement.ownerOf = (identity, kind) => ({
      url: identity.endsWith('k2') ? M2 : M1,
      kinds: [kind],
      status: 'up',
      leaseUntil: 0,
      incarnation: 1,
    });
    const ch = channelOver(placement);
    const to = (key: string): ActorAddress => ({ ...target, url: `cluster://cc/Counter/${key}`, id: `Counter/${key}` });
    for (const key of ['k1', 'k2', 'k1', 'k1', 'k2', 'k2', 'k1']) ch.send(to(key), 'add', [key], null);
    expect(channels.get(M1)!.map((s) => [s.target.id, s.args[0]])).toEqual(
      Array.from({ length: 4 }, () => [directId('cc', 'Counter/k1'), 'k1']),
    );
    expect(channels.get(M2)!.map((s) => [s.target.id, s.args[0]])).toEqual(
      Array.from({ length: 3 }, () => [directId('cc', 'Counter/k2'), 'k2']),
    );
  });
});

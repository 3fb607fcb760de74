/**
 * Fault tests with real processes: four member processes per store (Redis, PostgreSQL) serve
 * virtual Counters while this process calls them without pause; three times the member that
 * serves the most of them is killed with SIGKILL and a new one started. Every activation and
 * every handled call is recorded by the members; the checker then proves that no two
 * activations of one identity overlapped and that every acknowledged call was handled once.
 * Failover time (from the kill to the first answered call of each identity the killed member
 * served) is measured and printed.
 *
 * The members run the built packages (`tsc -b` first, as `npm test` does).
 */
import { HostDownError, shutdown } from 'tsactor';
import { joinCluster, type Cluster } from '@tsactor/cluster';
import { callWithoutPause, checkInvariants, destroyStore, freePort, killAll, MemberProcess, percentile, waitFor } from './members';
import { describeWithService, PG_URL, REDIS_URL, uniqueName } from './services';

const MEMBERS = 4;
const KILLS = 3;
const IDENTITIES = 16;
const TTL = 1.5;

function faultSuite(label: string, membershipUrl: string): void {
  let name: string;
  const procs: MemberProcess[] = [];
  let client: Cluster | undefined;

  beforeEach(() => {
    name = uniqueName(`faults-${label}`);
  });

  afterEach(async () => {
    await killAll(procs);
    await client?.close();
    client = undefined;
    await shutdown();
    await destroyStore(membershipUrl, name);
  });

  it('kill -9 of members: identities come back elsewhere, activations never overlap, acknowledged calls are handled once', async () => {
    for (let i = 0; i < MEMBERS; i++) procs.push(await MemberProcess.start(name, membershipUrl, TTL));
    client = await joinCluster({
      name,
      url: `grpc://127.0.0.1:${await freePort()}/`,
      membership: membershipUrl,
      kinds: [],
      ttl: TTL,
      timeout: 10,
    });
    await waitFor(() => client!.members().filter((m) => m.kinds.includes('Counter')).length === MEMBERS);

    const keys = Array.from({ length: IDENTITIES }, (_, i) => `c${i}`);
    const calls = callWithoutPause(client, keys);
    const { acknowledged, lastMember, lastOk } = calls;

    const failovers: number[] = [];
    try {
      await waitFor(() => keys.every((k) => lastMember.has(k)));
      for (let round = 0; round < KILLS; round++) {
        // the live member serving the most identities
        const count = new Map<string, number>();
        for (const m of lastMember.values()) count.set(m, (count.get(m) ?? 0) + 1);
        const victim = procs.filter((p) => p.killedAt === undefined).sort((a, b) => (count.get(b.url) ?? 0) - (count.get(a.url) ?? 0))[0]!;
        const moved = keys.filter((k) => lastMember.get(k) === victim.url);
        expect(moved.length).toBeGreaterThan(0);
        victim.kill();
        const killedAt = victim.killedAt!;
        await victim.exited;
        // every identity it served answers again, from another member
        await waitFor(() => moved.every((k) => (lastOk.get(k) ?? 0) > killedAt && lastMember.get(k) !== victim.url), 30_000);
        for (const k of moved) failovers.push(lastOk.get(k)! - killedAt);
        procs.push(await MemberProcess.start(name, membershipUrl, TTL));
        await waitFor(() => client!.members().filter((m) => m.kinds.includes('Counter')).length === MEMBERS, 15_000);
      }
    } finally {
      await calls.stop();
    }
    // the survivors leave (hand-over), so every activation they ran has ended
    for (const p of procs) if (p.killedAt === undefined) expect(await p.stop()).toBe(0);

    const { violations, activations, calls: handled } = checkInvariants(procs, acknowledged);
    process.stdout.write(
      `\n[${label}] ${procs.length} member processes, ${KILLS} kill -9, ${activations} activations, ${handled} handled calls, ${acknowledged.size} acknowledged;` +
        ` failover after kill -9 (ttl ${TTL} s) over ${failovers.length} identities: p50 ${percentile(failovers, 50)} ms, p99 ${percentile(failovers, 99)} ms, max ${Math.max(...failovers)} ms\n`,
    );
    expect(violations).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(IDENTITIES * KILLS);
    // what failed, failed because a member was down (or the identity was being moved)
    for (const { error: e } of calls.errors)
      expect(`${e.name}: ${e.message}`).toMatch(/HostDownError|ClusterUnavailableError|TimeoutError/);
    expect(calls.errors.some(({ error }) => error instanceof HostDownError)).toBe(true);
  }, 240_000);
}

describeWithService('Redis', 'cluster faults over Redis (member processes)', () => {
  faultSuite('redis', REDIS_URL);
});

describeWithService('PostgreSQL', 'cluster faults over PostgreSQL (member processes)', () => {
  faultSuite('postgres', PG_URL);
});

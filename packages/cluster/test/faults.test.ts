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
import { Actor, Ask } from 'tsactor';
import { joinCluster, RedisMembership, PostgresMembership, type Cluster } from '@tsactor/cluster';
import { checkInvariants, freePort, MemberProcess, percentile } from './members';
import { describeWithService, PG_URL, REDIS_URL, uniqueName } from './services';

/** The caller's view of the members' class: only its name and methods matter. */
@Actor
class Counter {
  @Ask
  add(_callId: string): { member: string; n: number } {
    throw new Error('runs on the members');
  }
}

const MEMBERS = 4;
const KILLS = 3;
const IDENTITIES = 16;
const TTL = 1.5;

function faultSuite(label: string, membershipUrl: string, destroy: (name: string) => Promise<void>): void {
  let name: string;
  const procs: MemberProcess[] = [];
  let client: Cluster | undefined;

  beforeEach(() => {
    name = uniqueName(`faults-${label}`);
  });

  afterEach(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    procs.length = 0;
    await client?.close();
    client = undefined;
    await shutdown();
    await destroy(name);
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
    const acknowledged = new Set<string>();
    const lastMember = new Map<string, string>();
    const lastOk = new Map<string, number>();
    const errors: Error[] = [];
    let serial = 0;
    let running = true;
    const drivers = keys.map(async (k) => {
      const p = client!.get(Counter, k);
      while (running) {
        const callId = `${k}#${++serial}`;
        try {
          const r = await p.add(callId);
          acknowledged.add(callId);
          lastMember.set(k, r.member);
          lastOk.set(k, Date.now());
        } catch (e) {
          errors.push(e as Error);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    });

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
      running = false;
      await Promise.all(drivers);
    }
    // the survivors leave (hand-over), so every activation they ran has ended
    for (const p of procs) if (p.killedAt === undefined) expect(await p.stop()).toBe(0);

    const { violations, activations, calls } = checkInvariants(procs, acknowledged);
    process.stdout.write(
      `\n[${label}] ${procs.length} member processes, ${KILLS} kill -9, ${activations} activations, ${calls} handled calls, ${acknowledged.size} acknowledged;` +
        ` failover after kill -9 (ttl ${TTL} s) over ${failovers.length} identities: p50 ${percentile(failovers, 50)} ms, p99 ${percentile(failovers, 99)} ms, max ${Math.max(...failovers)} ms\n`,
    );
    expect(violations).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(IDENTITIES * KILLS);
    // what failed, failed because a member was down (or the identity was being moved)
    for (const e of errors) expect(`${e.name}: ${e.message}`).toMatch(/HostDownError|ClusterUnavailableError|TimeoutError/);
    expect(errors.some((e) => e instanceof HostDownError)).toBe(true);
  }, 240_000);
}

describeWithService('Redis', 'cluster faults over Redis (member processes)', () => {
  faultSuite('redis', REDIS_URL, async (name) => {
    const p = await RedisMembership.connect({ name, url: REDIS_URL });
    try {
      await p.destroy();
    } finally {
      await p.close();
    }
  });
});

describeWithService('PostgreSQL', 'cluster faults over PostgreSQL (member processes)', () => {
  faultSuite('postgres', PG_URL, async (name) => {
    const p = await PostgresMembership.connect({ name, url: PG_URL });
    try {
      await p.destroy();
    } finally {
      await p.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A member process of the tsactor-cluster target: joins the cluster named on the command line
 * (seeds membership) and serves VCounter, VEcho and VWhere; its host also runs a plain
 * VCounter and VEcho ('plain-counter', 'plain-echo'), which the tsactor-cluster-plain target
 * calls through remote proxies. Usage:
 *   node tsactor-cluster-member.js URL SEED_URL CLUSTER TTL IDLE
 * Says {type:'ready', url} over IPC once joined; leaves when the parent asks or goes away.
 */
import { createHost, joinCluster, shutdown } from 'tsactor';
import { PLAIN_COUNTER, PLAIN_ECHO, VCounter, VEcho, VWhere } from './tsactor-cluster-actors';
import { onParentStop } from './child-process';

async function main(): Promise<void> {
  const [url, seed, name, ttl, idle] = process.argv.slice(2);
  // the host first, with the plain actors; joinCluster takes the host running at its url
  const host = await createHost(url);
  await host.spawn(PLAIN_COUNTER, VCounter);
  await host.spawn(PLAIN_ECHO, VEcho);
  const cluster = await joinCluster({
    name: name!,
    url: url!,
    membership: { seeds: [seed!] },
    kinds: [VCounter, VEcho, VWhere],
    ttl: Number(ttl),
    idleTimeout: Number(idle),
  });
  // store errors while a member dies are expected here; they are retried
  cluster.on('error', () => undefined);
  onParentStop(async () => {
    await cluster.close();
    await shutdown();
  });
  process.send!({ type: 'ready', url: cluster.url });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

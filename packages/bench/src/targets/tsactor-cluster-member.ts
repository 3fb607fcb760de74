/**
 * A member process of the tsactor-cluster target: joins the cluster named on the command line
 * (seeds membership) and serves VCounter, VEcho and VWhere. Usage:
 *   node tsactor-cluster-member.js URL SEED_URL CLUSTER TTL IDLE
 * Says {type:'ready', url} over IPC once joined; leaves when the parent asks or goes away.
 */
import { joinCluster, shutdown } from 'tsactor';
import { VCounter, VEcho, VWhere } from './tsactor-cluster-actors';
import { onParentStop } from './child-process';

async function main(): Promise<void> {
  const [url, seed, name, ttl, idle] = process.argv.slice(2);
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

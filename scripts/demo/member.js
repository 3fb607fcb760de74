/**
 * One member process of the cluster demo, started by scripts/demo.js through fork():
 *   node scripts/demo/member.js URL CLUSTER MEMBERSHIP_JSON TTL
 * It serves virtual Carts, says when one is activated or passivated, and leaves the cluster
 * (handing its carts over) when its parent sends 'stop' or goes away.
 */
'use strict';
const path = require('node:path');
const t = require(path.join(__dirname, '..', '..', 'packages', 'tsactor', 'dist'));
const { Cart } = require('./actors');

let cluster;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  if (cluster !== undefined) await cluster.leave();
  console.log('left the cluster');
  process.exit(0);
}
process.on('message', (m) => (m === 'stop' ? void stop() : undefined));
process.on('disconnect', () => void stop());
// Ctrl+C reaches the parent, which stops this process in order; ignore the signal itself
process.on('SIGINT', () => undefined);

async function main() {
  const [url, name, membership, ttl] = process.argv.slice(2);
  cluster = await t.joinCluster({ name, url, membership: JSON.parse(membership), kinds: [Cart], ttl: Number(ttl), idleTimeout: 60 });
  cluster.on('activated', (r) => console.log(`activated ${r.identity} (lease epoch ${r.epoch})`));
  cluster.on('passivated', (r) => console.log(`passivated ${r.identity} (${r.reason})`));
  console.log(`member serving at ${url}`);
  process.send('ready');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

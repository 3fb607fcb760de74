/**
 * One host process of the demo cluster, started by scripts/demo.js through fork():
 *   node scripts/demo/node.js registry URL
 *   node scripts/demo/node.js worker URL NAME REGISTRY_URL
 * It stops cleanly when its parent sends 'stop' (or goes away), and says so.
 */
'use strict';
const path = require('node:path');
const t = require(path.join(__dirname, '..', '..', 'packages', 'tsactor', 'dist'));
const { Registry } = require('./actors');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await t.shutdown();
  console.log('host shut down');
  process.exit(0);
}
process.on('message', (m) => (m === 'stop' ? void stop() : undefined));
process.on('disconnect', () => void stop());
// Ctrl+C reaches the parent, which stops this process in order; ignore the signal itself
process.on('SIGINT', () => undefined);

async function main() {
  const [role, url, name, registryUrl] = process.argv.slice(2);
  if (role === 'registry') {
    const host = await t.createHost(url);
    const registry = await host.spawn('registry', Registry);
    console.log(`registry host serving at ${url}; registry actor at ${registry.getUrl()}`);
  } else {
    // peers may load 'module/Class' from this folder (remoteSpawn: 'load')
    const host = await t.createHost(url, { moduleRoot: __dirname, remoteSpawn: 'load' });
    // no class given: the registry's host describes the actor
    const registry = await host.lookupUrl(`${registryUrl}registry`);
    await registry.bind(name, host); // this host's proxy travels to the registry (a @Ref method)
    console.log(`worker host serving at ${url}; bound in the registry as '${name}'`);
  }
  process.send('ready');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

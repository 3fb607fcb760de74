/**
 * Remote example with registry. CLIENT
 *
 * PyActor's examples/Remote/s4_client.py (manual 2.2.4). Start s4_registry first:
 *   npx ts-node examples/remote/s4_client.ts
 * Binds its own host in the registry as 'host1' and serves, so s4_clientb can spawn a
 * Server on it (the module root is this folder, where 's4_clientb' is). Prints:
 *   Press Ctrl+C to kill the execution
 *   subtract 1                         (from the Server spawned here by s4_clientb's second run)
 */
import { setContext, createHost, serveForever } from 'tsactor';
import type { Registry } from './s4_registry';

async function main(): Promise<void> {
  setContext();
  // remoteSpawn 'load': s4_clientb spawns 's4_clientb/Server' here, loaded from this folder
  const host = await createHost('grpc://127.0.0.1:6001', { moduleRoot: __dirname, remoteSpawn: 'load' });

  const registry = await host.lookupUrl<Registry>('grpc://127.0.0.1:6000/regis', 'Registry', 's4_registry');

  await registry.bind('host1', host);

  await serveForever();
}

if (require.main === module) void main();

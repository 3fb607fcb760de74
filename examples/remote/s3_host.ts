/**
 * Remote example spawning on a remote server. SERVER
 *
 * PyActor's examples/Remote/s3_host.py (manual 2.2.3), with grpc:// in place of http://.
 * The host's module root is this folder, so a remote spawn of 's3_client/Server' loads
 * examples/remote/s3_client.ts (only @Actor classes, only from inside the module root).
 *   npx ts-node examples/remote/s3_host.ts
 * Prints:
 *   host listening at port 1277
 *   Press Ctrl+C to kill the execution
 *   subtract 1                        (once s3_client has run)
 */
import { setContext, createHost, serveForever } from 'tsactor';

async function main(): Promise<void> {
  setContext();
  // remoteSpawn 'load': peers may load modules under moduleRoot (PyActor's behaviour; the
  // default, 'registered', takes only classes this process has already loaded)
  await createHost('grpc://127.0.0.1:1277/', { moduleRoot: __dirname, remoteSpawn: 'load' });

  console.log('host listening at port 1277');

  await serveForever();
}

if (require.main === module) void main();

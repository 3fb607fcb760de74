/**
 * The remote side of the grpc:// and amqp:// tsactor targets: a host in its own process
 * whose module root is this folder (remote spawn of 'tsactor-actors/Counter' etc.), with a
 * Control actor at id 'control'. Usage: node tsactor-remote.js grpc|amqp
 */
import { createHost, shutdown } from 'tsactor';
import { Control } from './tsactor-actors';
import { freePort, onParentStop } from './child-process';
import { hostUrl } from './tsactor';

async function main(): Promise<void> {
  const scheme = process.argv[2];
  if (scheme !== 'grpc' && scheme !== 'amqp') throw new Error(`usage: tsactor-remote.js grpc|amqp (got ${scheme})`);
  const url = hostUrl(scheme, await freePort(), 'remote');
  onParentStop(() => shutdown());
  const host = await createHost(url, { moduleRoot: __dirname, timeout: 60 });
  await host.spawn('control', Control);
  process.send!({ type: 'ready', url });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

/**
 * The remote side of the comedy remote target: comedy's listener node (what `comedy-node`
 * runs) on 127.0.0.1 and the port given. Usage: node comedy-listener.js PORT
 */
import { onParentStop } from './child-process';

interface System {
  listen(port: number, host: string): PromiseLike<void>;
  destroy(): PromiseLike<void>;
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const actors = require('comedy') as (options?: object) => System;
  const system = actors({ test: true });
  onParentStop(() => Promise.resolve(system.destroy()));
  await system.listen(port, '127.0.0.1');
  process.send!({ type: 'ready', url: `127.0.0.1:${port}` });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

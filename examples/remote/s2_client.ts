/**
 * Basic remote example sending ask messages. CLIENT
 *
 * PyActor's examples/Remote/s2_client.py (manual 2.2.2). Start s2_server first:
 *   npx ts-node examples/remote/s2_client.ts
 * Prints (the list as Python prints it):
 *   ['Hi there!', 'See ya!']
 */
import { setContext, createHost, shutdown } from 'tsactor';
import type { Echo } from './s2_server';

function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:1679');

  const e1 = await host.lookupUrl<Echo>('grpc://127.0.0.1:1277/echo1', 'Echo', 's2_server');

  e1.echo('Hi there!'); // TELL message
  e1.echo('See ya!');

  console.log(pyList(await e1.getMsgs()));

  await shutdown();
}

if (require.main === module) void main();

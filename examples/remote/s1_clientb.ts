/**
 * s1_client with the calls repeated 1000 times (PyActor's examples/Remote/s1_clientb.py,
 * manual 2.2.1). Start s1_server first:
 *   npx ts-node examples/remote/s1_clientb.ts
 * The server prints 'Hi there!' and 'See ya!' 1000 times each, alternating, in order.
 */
import { setContext, createHost, shutdown } from 'tsactor';
import type { Echo } from './s1_server';

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:1679');

  const e1 = await host.lookupUrl<Echo>('grpc://127.0.0.1:1277/echo1', 'Echo', 's1_server');

  for (let i = 0; i < 1000; i++) {
    e1.echo('Hi there!'); // TELL message
    e1.echo('See ya!');
  }

  await shutdown();
}

if (require.main === module) void main();

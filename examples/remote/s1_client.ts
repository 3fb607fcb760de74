/**
 * Basic remote example sending tell messages. CLIENT
 *
 * PyActor's examples/Remote/s1_client.py (manual 2.2.1). Start s1_server first:
 *   npx ts-node examples/remote/s1_client.ts
 * Prints nothing; the server prints the two messages. The client does not import the Echo
 * class: lookupUrl with the class name asks the remote host to describe the actor.
 */
import { setContext, createHost, shutdown } from 'tsactor';
import type { Echo } from './s1_server';

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:1679');

  const e1 = await host.lookupUrl<Echo>('grpc://127.0.0.1:1277/echo1', 'Echo', 's1_server');

  e1.echo('Hi there!'); // TELL message
  e1.echo('See ya!');

  await shutdown();
}

if (require.main === module) void main();

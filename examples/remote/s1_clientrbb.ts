/**
 * Basic remote example sending tell messages, over RabbitMQ. CLIENT
 *
 * PyActor's examples/Remote/s1_clientrbb.py (manual 2.2.6). Start s1_serverrbb first:
 *   npx ts-node examples/remote/s1_clientrbb.ts
 * Prints nothing; the server prints the two messages. The manual's client sets the
 * credentials of a RabbitMQ user 'daniel'; this one uses the broker's guest user unless
 * RABBIT_USER and RABBIT_PASSWORD are set (guest may only connect from the broker's machine).
 */
import { setContext, createHost, setRabbitCredentials, shutdown } from 'tsactor';
import type { Echo } from './s1_serverrbb';

async function main(): Promise<void> {
  setRabbitCredentials(process.env.RABBIT_USER ?? 'guest', process.env.RABBIT_PASSWORD ?? 'guest');
  setContext();
  const host = await createHost('amqp://127.0.0.1:1679');

  const e1 = await host.lookupUrl<Echo>('amqp://127.0.0.1:1277/echo1', 'Echo', 's1_serverrbb');

  e1.echo('Hi there!'); // TELL message
  e1.echo('See ya!');

  await shutdown();
}

if (require.main === module) void main();

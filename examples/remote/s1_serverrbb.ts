/**
 * Basic remote example sending tell messages, over RabbitMQ. SERVER
 *
 * PyActor's examples/Remote/s1_serverrbb.py (manual 2.2.6): the host's URL has the amqp
 * scheme, so its actors are reached through the RabbitMQ broker (TSACTOR_AMQP_URL, default
 * amqp://guest:guest@127.0.0.1:5672, or setRabbitCredentials). Start the broker, run this,
 * then s1_clientrbb in another terminal (on this machine or any other that reaches the broker):
 *   npx ts-node examples/remote/s1_serverrbb.ts
 * Prints, once the client has run:
 *   Press Ctrl+C to kill the execution
 *   Hi there!
 *   See ya!
 */
import { Actor, Tell, setContext, createHost, serveForever } from 'tsactor';

@Actor
export class Echo {
  @Tell
  echo(msg: string): void {
    console.log(msg);
  }
}

async function main(): Promise<void> {
  // setRabbitCredentials('daniel', 'pass');
  setContext();
  const host = await createHost('amqp://127.0.0.1:1277/');

  await host.spawn('echo1', Echo);
  await serveForever();
}

if (require.main === module) void main();

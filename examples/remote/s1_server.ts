/**
 * Basic remote example sending tell messages. SERVER
 *
 * PyActor's examples/Remote/s1_server.py (manual 2.2.1), with grpc:// in place of http://.
 * Run it, then s1_client (or s1_clientb) in another terminal:
 *   npx ts-node examples/remote/s1_server.ts
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
  setContext();
  const host = await createHost('grpc://127.0.0.1:1277/');

  await host.spawn('echo1', Echo);
  await serveForever();
}

if (require.main === module) void main();

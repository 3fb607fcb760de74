/**
 * Basic remote example sending ask messages. SERVER
 *
 * PyActor's examples/Remote/s2_server.py (manual 2.2.2), with grpc:// in place of http://.
 *   npx ts-node examples/remote/s2_server.ts
 * Prints, once s2_client has run:
 *   Press Ctrl+C to kill the execution
 *   Hi there!
 *   See ya!
 */
import { Actor, Ask, Tell, setContext, createHost, serveForever } from 'tsactor';

@Actor
export class Echo {
  private readonly msgs: string[] = [];

  @Tell
  echo(msg: string): void {
    console.log(msg);
    this.msgs.push(msg);
  }

  @Ask
  getMsgs(): string[] {
    return this.msgs;
  }
}

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:1277/');

  await host.spawn('echo1', Echo);
  await serveForever();
}

if (require.main === module) void main();

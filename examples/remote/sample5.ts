/**
 * Multiple hosts. Remote required since v0.9.
 *
 * PyActor's examples/Remote/sample5.py (manual 2.2.5), with grpc:// in place of http://.
 * Two hosts in one process; messages between them go through the gRPC transport as they
 * would between two processes.
 *   npx ts-node examples/remote/sample5.ts
 * Prints:
 *   hello there !! Proxy(Echo grpc://127.0.0.1:6666/echo1)
 *   hello 2 Proxy(Echo grpc://127.0.0.1:6666/echo1)
 *   hello 3 Proxy(Echo grpc://127.0.0.1:7777/echo1)
 */
import { Actor, Tell, Ref, setContext, createHost, sleep, shutdown, type Proxy } from 'tsactor';

@Actor
export class Echo {
  @Tell
  @Ref
  echo(msg: string, pref: Proxy<Echo> | null = null): void {
    console.log(msg, String(pref));
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost('grpc://127.0.0.1:6666/host');
  const e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!', e1);

  const h2 = await createHost('grpc://127.0.0.1:7777/host');
  const e2 = await h2.spawn('echo1', Echo);
  e2.echo('hello 2', e1);

  await sleep(1);

  e1.echo('hello 3', e2);

  await sleep(1);
  await shutdown();
  // or, to only stop one of them:
  // await shutdown('grpc://127.0.0.1:7777/host');
}

if (require.main === module) void main();

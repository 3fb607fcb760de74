/**
 * Remote example spawning on a remote server. CLIENT
 *
 * PyActor's examples/Remote/s3_client.py (manual 2.2.3). Start s3_host first:
 *   npx ts-node examples/remote/s3_client.ts
 * The Server class is defined here, but the actor is spawned on the remote host, which
 * imports it from module 's3_client' under its module root. Prints:
 *   Proxy(Host grpc://127.0.0.1:1277/)
 *   13
 *   15
 *   ask waitALot() of grpc://127.0.0.1:1277/server got no answer within 1 s; ...
 * and the host prints 'subtract 1'.
 */
import { Actor, Ask, Tell, setContext, createHost, sleep, shutdown, TimeoutError, type HostProxy } from 'tsactor';

@Actor
export class Server {
  @Ask
  add(x: number, y: number): number {
    return x + y;
  }

  @Tell
  subtract(x: number, y: number): void {
    console.log('subtract', x - y);
  }

  @Ask
  async waitALot(): Promise<string> {
    await sleep(2);
    return 'ok';
  }
}

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:1679');

  // a URL with no actor id gives the remote host's proxy
  const remoteHost = await host.lookupUrl<HostProxy>('grpc://127.0.0.1:1277/');
  console.log(String(remoteHost));
  const server = await remoteHost.spawn<Server>('server', 's3_client/Server');
  const z = await server.add(6, 7);
  console.log(z);
  server.subtract(6, 5);
  const t = await server.add(8, 7);
  console.log(t);

  try {
    console.log(await server.withTimeout(1).waitALot());
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    console.log(e.message);
  }

  await sleep(3);
  await shutdown();
}

if (require.main === module) void main();

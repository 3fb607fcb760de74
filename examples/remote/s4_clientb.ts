/**
 * Remote example with registry. CLIENT 2
 *
 * PyActor's examples/Remote/s4_clientb.py (manual 2.2.4). Start s4_registry and s4_client
 * first, then run this twice:
 *   npx ts-node examples/remote/s4_clientb.ts
 * It finds s4_client's host in the registry. The first run spawns 'server' there (from
 * module 's4_clientb' under that host's module root) and prints only the last line; later
 * runs find the server and use it, as the manual's code does:
 *   13
 *   15
 *   Cannot unbind this object: is not in the registry.
 * (and s4_client prints 'subtract 1'). The manual looks the registry up as '/regist', a
 * typo for the 'regis' that s4_registry spawns; this port uses 'regis'.
 */
import { Actor, Ask, Tell, setContext, createHost, sleep, shutdown, type HostProxy } from 'tsactor';
import { NotFound, type Registry } from './s4_registry';

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
  const host = await createHost('grpc://127.0.0.1:6002');

  const registry = await host.lookupUrl<Registry>('grpc://127.0.0.1:6000/regis', 'Registry', 's4_registry');
  const remoteHost = (await registry.lookup('host1')) as HostProxy | null;
  if (remoteHost !== null) {
    if (!(await remoteHost.hasActor('server'))) {
      await remoteHost.spawn<Server>('server', 's4_clientb/Server');
    } else {
      const server = await remoteHost.lookup<Server>('server');
      const z = await server.add(6, 7);
      console.log(z);
      server.subtract(6, 5);
      const t = await server.add(8, 7);
      console.log(t);
    }
  }

  try {
    await registry.unbind('None');
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
    console.log('Cannot unbind this object: is not in the registry.');
  }

  await shutdown();
}

if (require.main === module) void main();

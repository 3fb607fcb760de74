/**
 * Remote example with a registry. SERVER
 *
 * PyActor's examples/Remote/s4_registry.py (manual 2.2.4), with grpc:// in place of http://.
 *   npx ts-node examples/remote/s4_registry.ts
 * Prints:
 *   host listening at port 6000
 *   Press Ctrl+C to kill the execution
 *   server registred host1             (when s4_client binds its host; PyActor's spelling)
 */
import { Actor, Ask, Ref, setContext, createHost, serveForever, registerClass, type Proxy } from 'tsactor';

/** Raised by unbind for a name that is not bound; registered so it keeps its class across hosts. */
export class NotFound extends Error {
  constructor(message = 'not found') {
    super(message);
    this.name = 'NotFound';
  }
}
registerClass(NotFound);

@Actor
export class Registry {
  private readonly actors = new Map<string, Proxy<unknown>>();

  @Ask
  @Ref
  async bind(name: string, actor: Proxy<unknown>): Promise<void> {
    console.log('server registred', name);
    this.actors.set(name, actor);
  }

  @Ask
  async unbind(name: string): Promise<void> {
    if (this.actors.has(name)) {
      this.actors.delete(name);
    } else {
      throw new NotFound();
    }
  }

  @Ask
  @Ref
  lookup(name: string): Proxy<unknown> | null {
    return this.actors.get(name) ?? null;
  }

  @Ask
  @Ref
  getAll(): Proxy<unknown>[] {
    return [...this.actors.values()];
  }
}

async function main(): Promise<void> {
  setContext();
  const host = await createHost('grpc://127.0.0.1:6000/');

  await host.spawn('regis', Registry);

  console.log('host listening at port 6000');

  await serveForever();
}

if (require.main === module) void main();

/**
 * The 'async' runtime: every actor is an ActorCell on this thread's event loop. A tell is
 * a push onto the actor's ring-buffer mailbox (no Promise); the dispatcher drains mailboxes
 * in microtasks and yields to I/O under load.
 */
import {
  spawnCell,
  type HostBinding,
  type Runtime,
  type RuntimePlugin,
  type SpawnedActor,
  type SpawnRequest,
} from '@tsactor/core/internal';

class AsyncRuntime implements Runtime {
  constructor(private readonly host: HostBinding) {}

  spawn(req: SpawnRequest): SpawnedActor | Promise<SpawnedActor> {
    return spawnCell(req, this.host.options.timeout ?? 10);
  }

  async shutdown(): Promise<void> {
    // cells are stopped by the host; nothing else to release
  }
}

/** The 'async' runtime plugin (alias 'green_thread'). */
export const asyncRuntime: RuntimePlugin = {
  name: 'async',
  aliases: ['green_thread'],
  create: (host) => new AsyncRuntime(host),
};

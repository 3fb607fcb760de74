/**
 * The 'async' runtime: every actor is an ActorCell on this thread's event loop. A tell is
 * a push onto the actor's ring-buffer mailbox (no Promise); the dispatcher drains mailboxes
 * in microtasks and yields to I/O under load.
 */
import {
  ActorCell,
  constructActor,
  dispatcher,
  getActorDefinition,
  makeProxy,
  type HostBinding,
  type HostProxy,
  type Runtime,
  type RuntimePlugin,
  type SpawnedActor,
  type SpawnRequest,
} from '@tsactor/core';

/** Creates an actor cell on this thread. Shared by runtimes that run actors on an event loop. */
export function spawnCell(req: SpawnRequest, timeout: number | null): SpawnedActor {
  const def = getActorDefinition(req.klass);
  const hostBase = req.hostAddress.base;
  const cell = new ActorCell(req.id, req.url, def, hostBase, dispatcher);
  const address = { url: req.url, base: hostBase, id: req.id, desc: def };
  cell.instance = constructActor(req.klass, req.args, {
    id: req.id,
    url: req.url,
    proxy: makeProxy(address, { owner: cell, timeout }),
    host: makeProxy(req.hostAddress, { owner: cell, timeout }) as unknown as HostProxy,
  });
  // the cell is its own SpawnedActor (channel, cell, desc, stop, quiesce): nothing more per actor
  return cell;
}

class AsyncRuntime implements Runtime {
  constructor(private readonly host: HostBinding) {}

  spawn(req: SpawnRequest): SpawnedActor {
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

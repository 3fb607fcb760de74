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
  type HostBinding,
  type Runtime,
  type RuntimePlugin,
  type SpawnedActor,
  type SpawnRequest,
} from '@tsactor/core/internal';

/** Creates an actor cell on this thread. Shared by runtimes that run actors on an event loop. */
export function spawnCell(req: SpawnRequest, timeout: number | null): SpawnedActor {
  const def = getActorDefinition(req.klass);
  const hostBase = req.hostAddress.base;
  const cell = new ActorCell(req.id, req.url, def, hostBase, dispatcher);
  cell.fieldTimeout = timeout;
  cell.hostAddress = req.hostAddress;
  // the actor's `proxy` and `host` fields are made by the cell on first read
  cell.instance = constructActor(req.klass, req.args, cell);
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

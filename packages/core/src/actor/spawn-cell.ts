/**
 * spawnCell: the actor of a spawn request as a cell on this thread's event loop. Shared by
 * the runtimes that run actors on an event loop (the 'async' runtime, and each worker of
 * the 'threads' runtime).
 */
import { ActorCell } from './cell';
import { constructActor } from './actor-base';
import { getActorDefinition } from './metadata';
import { dispatcher } from '../dispatcher';
import { startCell } from './lifecycle';
import type { SpawnedActor, SpawnRequest } from '../host/registry';

/**
 * Creates the actor of `req` as a cell on this thread, run by this thread's dispatcher;
 * `timeout` is the ask timeout (seconds, null: none) of its `proxy` and `host` fields. The
 * cell is its own SpawnedActor (channel, cell, desc, stop, quiesce): nothing more per actor.
 * The actor's `onStart` runs before it is returned (a promise of it for an async hook); a
 * throw there fails the spawn.
 */
export function spawnCell(req: SpawnRequest, timeout: number | null): SpawnedActor | Promise<SpawnedActor> {
  const def = getActorDefinition(req.klass);
  const cell = new ActorCell(req.id, req.url, def, req.hostAddress.base, dispatcher);
  cell.fieldTimeout = timeout;
  cell.hostAddress = req.hostAddress;
  // the actor's `proxy` and `host` fields are made by the cell on first read
  cell.instance = constructActor(req.klass, req.args, cell);
  // a restart builds the next instance with the same arguments
  if (def.options.supervision?.onError === 'restart') cell.ctorArgs = req.args;
  if (req.ended !== undefined) cell.ended = req.ended;
  return startCell(cell);
}

/**
 * spawnCell: the actor of a spawn request as a cell on this thread's event loop. Shared by
 * the runtimes that run actors on an event loop (the 'async' runtime, and each worker of
 * the 'threads' runtime).
 */
import { ActorCell, type CellOrigin } from './cell';
import { constructActor } from './actor-base';
import { getActorDefinition } from './metadata';
import { startCell } from './lifecycle';
import { SupervisorState } from './supervision';
import type { ActorAddress } from '../channel';
import type { SpawnedActor, SpawnRequest } from '../host/registry';

/** The origin of the actors of each host address (one object shared by them all). */
const origins = new WeakMap<ActorAddress, CellOrigin>();
/** the origin of the last spawn (spawns mostly come in runs on one host) */
let last: CellOrigin | null = null;

function sameOrigin(o: CellOrigin, req: SpawnRequest, timeout: number | null): boolean {
  return o.hostAddress === req.hostAddress && o.timeout === timeout && o.ended === req.ended;
}

/** The shared {@link CellOrigin} of the actors of `req`'s host made with `timeout`. */
function originOf(req: SpawnRequest, timeout: number | null): CellOrigin {
  if (last !== null && sameOrigin(last, req, timeout)) return last;
  let o = origins.get(req.hostAddress);
  if (o === undefined || !sameOrigin(o, req, timeout)) {
    o = { hostAddress: req.hostAddress, timeout, ended: req.ended };
    origins.set(req.hostAddress, o);
  }
  return (last = o);
}

/**
 * Creates the actor of `req` as a cell on this thread, run by this thread's dispatcher;
 * `timeout` is the ask timeout (seconds, null: none) of its `proxy` and `host` fields. The
 * cell is its own SpawnedActor (channel, cell, desc, stop, quiesce): nothing more per actor.
 * The actor's `onStart` runs before it is returned (a promise of it for an async hook); a
 * throw there fails the spawn.
 */
export function spawnCell(req: SpawnRequest, timeout: number | null): SpawnedActor | Promise<SpawnedActor> {
  const def = getActorDefinition(req.klass);
  const cell = new ActorCell(req.id, req.url, def, req.hostAddress.base);
  cell.origin = originOf(req, timeout);
  // the actor's `proxy` and `host` fields are made by the cell on first read
  cell.instance = constructActor(req.klass, req.args, cell);
  // a restart builds the next instance with the same arguments
  if (def.options.supervision?.onError === 'restart') cell.supervisor = new SupervisorState(req.args);
  return startCell(cell);
}

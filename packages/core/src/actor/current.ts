import type { ActorCell } from './cell';

let current: ActorCell | null = null;

/** The actor whose method is running synchronously right now on this thread, if any. */
export function currentCell(): ActorCell | null {
  return current;
}

/** @internal */
export function enterCell(cell: ActorCell | null): ActorCell | null {
  const prev = current;
  current = cell;
  return prev;
}

/**
 * The lifecycle hooks of an actor, found by name on its class (no decorator):
 * `onStart()` before its first message, `onStop(reason)` when it ends, `onRestart(error)` on
 * the fresh instance after a restart, and `onTerminated(ref, reason)` for the actors it
 * watches. Each may be synchronous or return a promise.
 */
import { reportError } from '../channel';
import { enterCell } from './current';
import type { ActorCell } from './cell';
import type { Proxy } from './proxy';

/** The name of the message by which a watcher learns that an actor it watches ended (never a method name: '$' is not a valid start for a proxy call). */
export const TERMINATED = '$terminated';

/**
 * @internal The actors each actor watches, by URL (the proxies given to watch): an entry
 * only for an actor that watches, none in the cell of every actor.
 */
export const watchesOf = new WeakMap<ActorCell, Map<string, Proxy<unknown>>>();

/** True when `v` has a `then` method. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Calls the hook `name` of `instance` as the actor `cell` (so that its proxies, futures and
 * watches know their actor); returns what it returned (a promise for an async hook), or
 * undefined when the class has no such hook. A synchronous throw propagates.
 */
export function callHook(cell: ActorCell, instance: object, name: string, arg?: unknown): unknown {
  const fn = (instance as Record<string, unknown>)[name];
  if (typeof fn !== 'function') return undefined;
  const prev = enterCell(cell);
  try {
    return fn.call(instance, arg);
  } finally {
    enterCell(prev);
  }
}

/** Reports an error thrown by a hook (the actor goes on as the hook's contract says). */
export function reportHookError(cell: ActorCell, name: string, error: unknown): void {
  reportError(error, { actor: cell.url, method: name, kind: 'internal' });
}

/**
 * Runs `onStart` of a freshly built actor: the cell itself when it has no hook or the hook
 * returned, a promise of it for an async hook (the mailbox waits meanwhile). A throw or a
 * rejection ends the cell without `onStop` and propagates: the spawn fails with that error.
 */
export function startCell(cell: ActorCell): ActorCell | Promise<ActorCell> {
  const instance = cell.instance;
  if (typeof (instance as { onStart?: unknown }).onStart !== 'function') return cell;
  let r: unknown;
  try {
    r = callHook(cell, instance, 'onStart');
  } catch (e) {
    cell.discard();
    throw e;
  }
  if (!isThenable(r)) return cell;
  cell.suspend();
  return Promise.resolve(r).then(
    () => {
      cell.resume();
      return cell;
    },
    (e: unknown) => {
      cell.discard();
      throw e;
    },
  );
}

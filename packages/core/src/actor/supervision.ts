/**
 * Supervision of one actor by its class's policy (`@Actor({ supervision })`): what happens
 * after one of its methods threw or its promise rejected. Errors of tells, asks and future
 * callbacks all count (as in Akka); the ask whose handling failed still rejects with its error.
 *
 * - 'restart': a fresh instance built with the same constructor arguments takes over the
 *   mailbox (messages keep their order), then its `onRestart(error)` runs. With a backoff,
 *   the mailbox waits min·2^(n-1) seconds (at most max) for the n-th restart in the window.
 *   More than `maxRestarts` restarts within `within` seconds stop the actor ('failed').
 * - 'stop': the actor stops ('failed').
 */
import { clock, type ClockTimer } from '../clock';
import { constructActor } from './actor-base';
import { callHook, isThenable, reportHookError } from './lifecycle';
import type { ActorCell } from './cell';
import type { ResolvedSupervision } from './options';

/** The restart bookkeeping of one actor of a class that restarts on failure (made when it is spawned). */
export class SupervisorState {
  /** clock times (ms) of the restarts still inside the window */
  readonly restarts: number[] = [];
  /** the backoff timer under way, if any */
  timer: ClockTimer | null = null;
  /** the clock the timer was set on */
  timerClock = clock;

  constructor(
    /** the constructor arguments: a restart builds the next instance with them */
    readonly ctorArgs: unknown[],
  ) {}

  /** Cancels a pending restart (the actor stopped meanwhile). */
  cancel(): void {
    if (this.timer !== null) this.timerClock.clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The delay (ms) before the `n`-th restart within the window (n >= 1). */
export function backoffDelay(s: ResolvedSupervision, n: number): number {
  if (s.backoffMax === 0) return 0;
  return Math.min(s.backoffMax, s.backoffMin * 2 ** (n - 1));
}

/** Applies the class's policy to the failure `error` of `cell` (called once per failed message). */
export function supervise(cell: ActorCell, s: ResolvedSupervision, error: unknown): void {
  if (!cell.alive) return;
  if (s.onError === 'stop') {
    cell.stopFailed();
    return;
  }
  const st = (cell.supervisor ??= new SupervisorState([]));
  if (st.timer !== null) return; // a restart is already under way; this failure belongs to the old instance
  const now = clock.now();
  const r = st.restarts;
  let drop = 0;
  while (drop < r.length && r[drop]! <= now - s.within) drop++;
  if (drop > 0) r.splice(0, drop);
  if (r.length >= s.maxRestarts) {
    cell.stopFailed();
    return;
  }
  r.push(now);
  const delay = backoffDelay(s, r.length);
  if (delay <= 0) {
    restart(cell, error, false);
    return;
  }
  cell.suspend();
  st.timerClock = clock;
  st.timer = clock.setTimeout(() => {
    st.timer = null;
    restart(cell, error, true);
  }, delay);
}

/** Builds the fresh instance and runs its `onRestart`; `suspended`: the mailbox waits for it. */
function restart(cell: ActorCell, error: unknown, suspended: boolean): void {
  if (!cell.alive) return;
  let instance: object;
  try {
    instance = constructActor(cell.def.klass, cell.supervisor?.ctorArgs ?? [], cell);
  } catch (e) {
    reportHookError(cell, 'constructor (restart)', e);
    cell.stopFailed();
    return;
  }
  cell.instance = instance;
  let r: unknown;
  try {
    r = callHook(cell, instance, 'onRestart', error);
  } catch (e) {
    reportHookError(cell, 'onRestart', e);
  }
  if (isThenable(r)) {
    if (!suspended) cell.suspend();
    r.then(
      () => cell.resume(),
      (e: unknown) => {
        reportHookError(cell, 'onRestart', e);
        cell.resume();
      },
    );
  } else if (suspended) {
    cell.resume();
  }
}

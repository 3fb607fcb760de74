/**
 * V8's gc(), obtained at run time where the process was not started with --expose-gc (worker
 * threads refuse that flag, so a process that starts workers goes without it).
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;

let gc: GcFunction | null | undefined;

/** This process's gc(), or null where none can be had. */
export function gcFunction(): GcFunction | null {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: GcFunction }).gc;
    if (exposed !== undefined) gc = exposed;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as GcFunction;
      } catch {
        gc = null;
      }
    }
  }
  return gc;
}

/**
 * A scavenge of this thread's young generation, run before every repetition: each one starts
 * with an empty nursery, so that its figure does not depend on the garbage that the one
 * before it (or the end of it: stopping the actors of a spawn repetition, say) left there.
 * Unlike a full collection it shrinks neither the heap nor the young generation.
 */
export function minorGc(): void {
  gcFunction()?.({ type: 'minor' });
}

/**
 * Memory sampling for the soak run: a full GC (obtained at run time, so that no process
 * needs --expose-gc, which worker threads refuse) followed by process.memoryUsage().
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let gc: (() => void) | null | undefined;

/** Runs a full garbage collection (and returns false where none can be had). */
export function forceGc(): boolean {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed !== undefined) gc = exposed;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as () => void;
      } catch {
        gc = null;
      }
    }
  }
  if (gc === null) return false;
  gc();
  return true;
}

/** One sample of a process's memory, in bytes, taken after a full GC. */
export interface MemorySample {
  /** ms since the epoch (Date.now()) */
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

/** Takes a sample now (after a full GC). */
export function sampleMemory(): MemorySample {
  forceGc();
  const m = process.memoryUsage();
  return { at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

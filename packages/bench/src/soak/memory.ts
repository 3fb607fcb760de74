/**
 * Memory sampling for the soak run: a full GC (obtained at run time, so that no process
 * needs --expose-gc, which worker threads refuse) followed by process.memoryUsage().
 */
import { gcFunction } from '../gc';

/** Runs a full garbage collection (and returns false where none can be had). */
export function forceGc(): boolean {
  const gc = gcFunction();
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

/**
 * The actors of the soak run. Loaded by the driver, by its worker threads ('threads'
 * runtime) and by the gRPC peer process.
 */
import * as v8 from 'node:v8';
import { threadId } from 'node:worker_threads';
import { Actor, Ask, Parallel } from 'tsactor';
import { forceGc } from './memory';

/** Counting and echoing are the bench's own actors (the same module loads in workers and the peer). */
export { Counter as SoakCounter, Echo as SoakEcho } from '../targets/tsactor-actors';

/** Answers after `ms` milliseconds, letting other asks in meanwhile: the asks that time out. */
@Actor
export class SoakSlow {
  @Ask @Parallel wait(ms: number): Promise<number> {
    return new Promise<number>((resolve) => setTimeout(resolve, ms, ms));
  }
}

/** Reports the heap of the thread it lives on (after a full GC), to sample worker threads. */
@Actor
export class SoakProbe {
  @Ask heap(): { thread: number; heapUsed: number } {
    forceGc();
    return { thread: threadId, heapUsed: v8.getHeapStatistics().used_heap_size };
  }
}

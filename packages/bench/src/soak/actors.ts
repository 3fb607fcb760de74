/**
 * The actors of the soak run. Loaded by the driver, by its worker threads ('threads'
 * runtime) and by the gRPC peer process.
 */
import * as v8 from 'node:v8';
import { threadId } from 'node:worker_threads';
import { Actor, Ask, Parallel, Tell } from 'tsactor';
import { forceGc } from './memory';

/** Counts tells; take() answers the count and starts again from 0. */
@Actor
export class SoakCounter {
  private n = 0;
  @Tell inc(): void {
    this.n++;
  }
  @Ask take(): number {
    const n = this.n;
    this.n = 0;
    return n;
  }
}

/** Answers every ask with its argument. */
@Actor
export class SoakEcho {
  @Ask echo(x: number): number {
    return x;
  }
}

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

/**
 * Runs actor cells on the event loop. A cell with work is queued once; the dispatcher
 * drains queued cells in a microtask, a bounded number of messages per cell per turn
 * (fairness), and yields to the event loop with setImmediate after a bounded number of
 * messages per tick, so I/O and timers keep running under load.
 */
export interface Runnable {
  /** handles at most `budget` messages; returns how many it handled */
  run(budget: number): number;
  /** true when it has messages it can handle now */
  readonly runnable: boolean;
  /** @internal set while queued in a dispatcher */
  queued: boolean;
}

const PER_CELL = 256;
const PER_TICK = 16384;
/** a reaction on a settled promise is a microtask without queueMicrotask's per-call AsyncResource */
const SETTLED = Promise.resolve();

export class Dispatcher {
  /** cells to run: the first readyCount slots (arrays are reused, never truncated: setting length is a slow runtime call) */
  private ready: Array<Runnable | undefined> = [];
  private readyCount = 0;
  private next: Array<Runnable | undefined> = [];
  private scheduled = false;

  schedule(cell: Runnable): void {
    if (cell.queued) return;
    cell.queued = true;
    this.ready[this.readyCount++] = cell;
    if (!this.scheduled) {
      this.scheduled = true;
      void SETTLED.then(this.run);
    }
  }

  /**
   * Runs the queued cells now, up to a turn's worth of messages, instead of waiting for the
   * run already queued for them: for a runtime that has just delivered a batch of messages
   * from another thread, so that their answers leave in the same turn, one microtask hop
   * sooner. It never yields by itself: the queued run still comes (and finds nothing, or
   * goes on with what is left), so the event loop keeps its turns as before.
   */
  runNow(): void {
    if (this.scheduled) this.handle();
  }

  private readonly run = (): void => {
    if (this.handle()) setImmediate(this.run);
    else this.scheduled = false;
  };

  /** Runs the ready cells until none is left (false) or a turn's worth of messages was handled (true). */
  private handle(): boolean {
    let handled = 0;
    while (this.readyCount > 0) {
      const batch = this.ready;
      const count = this.readyCount;
      this.ready = this.next;
      this.readyCount = 0;
      for (let i = 0; i < count; i++) {
        const cell = batch[i]!;
        batch[i] = undefined;
        cell.queued = false;
        handled += cell.run(PER_CELL);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- run() may schedule the cell again (a tell to itself)
        if (cell.runnable && !cell.queued) {
          cell.queued = true;
          this.ready[this.readyCount++] = cell;
        }
      }
      this.next = batch;
      if (handled >= PER_TICK && this.readyCount > 0) return true;
    }
    return false;
  }
}

/** The dispatcher of this thread. */
export const dispatcher = new Dispatcher();

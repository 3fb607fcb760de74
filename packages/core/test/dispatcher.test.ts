/**
 * The dispatcher: cells run in a microtask, at once when a runtime asks (runNow), and never
 * before the event loop has had its turn once a run has yielded to it.
 */
import { Dispatcher, type Runnable } from '@tsactor/core/internal';

/** A cell with `left` messages to handle; records each run. */
class Work implements Runnable {
  queued = false;
  runs = 0;
  handled = 0;
  constructor(public left: number) {}
  get runnable(): boolean {
    return this.left > 0;
  }
  run(budget: number): number {
    this.runs++;
    const n = Math.min(budget, this.left);
    this.left -= n;
    this.handled += n;
    return n;
  }
}

const microtask = (): Promise<void> => Promise.resolve();
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Dispatcher', () => {
  it('runs a scheduled cell in a microtask', async () => {
    const d = new Dispatcher();
    const w = new Work(3);
    d.schedule(w);
    expect(w.handled).toBe(0);
    await microtask();
    expect(w.handled).toBe(3);
    expect(w.runs).toBe(1);
  });

  it('runNow runs the scheduled cells before returning; the microtask queued for them then finds nothing', async () => {
    const d = new Dispatcher();
    const a = new Work(2);
    const b = new Work(1);
    d.schedule(a);
    d.schedule(b);
    d.runNow();
    expect([a.handled, b.handled]).toEqual([2, 1]);
    await nextTurn();
    expect([a.runs, b.runs]).toEqual([1, 1]);
    // nothing scheduled: nothing to run
    d.runNow();
    expect([a.runs, b.runs]).toEqual([1, 1]);
    // and it schedules again as before
    a.left = 1;
    d.schedule(a);
    await microtask();
    expect(a.handled).toBe(3);
  });

  it('runNow handles at most a turn of messages and never adds runs: the event loop keeps its turn between them', async () => {
    const d = new Dispatcher();
    const w = new Work(1_000_000);
    d.schedule(w);
    d.runNow();
    const turn = w.handled;
    expect(turn).toBe(16_384);
    // the run queued by schedule() goes on with the rest, and yields after a turn's worth
    for (let i = 0; i < 5; i++) await microtask();
    expect(w.handled).toBe(2 * turn);
    // batches arrive on every turn of the loop (runNow each time): between two turns the
    // queued run handles at most a turn's worth, as before
    const between: number[] = [];
    let last = w.handled;
    await new Promise<void>((resolve) => {
      const arrive = (): void => {
        between.push(w.handled - last);
        d.runNow();
        last = w.handled;
        if (w.left > 0) setImmediate(arrive);
        else resolve();
      };
      setImmediate(arrive);
    });
    expect(w.handled).toBe(1_000_000);
    expect(between.length).toBeGreaterThan(10);
    expect(Math.max(...between)).toBeLessThanOrEqual(turn);
  });
});

import { TimeoutQueue, type Deadline } from '@tsactor/core/internal';

function deadline(log: string[], name: string): Deadline {
  return { settled: false, at: 0, expire: () => log.push(name) };
}

describe('TimeoutQueue', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('expires waits at their deadline, in the order added for one duration, and each duration on its own', () => {
    jest.useFakeTimers();
    const q = new TimeoutQueue();
    const log: string[] = [];
    q.add(1, deadline(log, 'a1'));
    jest.advanceTimersByTime(300);
    q.add(1, deadline(log, 'b1'));
    q.add(0.5, deadline(log, 'c05'));
    q.add(1, deadline(log, 'd1'));
    jest.advanceTimersByTime(499);
    expect(log).toEqual([]);
    jest.advanceTimersByTime(10); // t = 809: c05 (due at 800)
    expect(log).toEqual(['c05']);
    jest.advanceTimersByTime(200); // t = 1009: a1 (due at 1000)
    expect(log).toEqual(['c05', 'a1']);
    jest.advanceTimersByTime(290); // t = 1299: b1, d1 due at 1300
    expect(log).toEqual(['c05', 'a1']);
    jest.advanceTimersByTime(10);
    expect(log).toEqual(['c05', 'a1', 'b1', 'd1']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never expires a settled wait, and keeps expiring the ones after it', () => {
    jest.useFakeTimers();
    const q = new TimeoutQueue();
    const log: string[] = [];
    const a = deadline(log, 'a');
    const b = deadline(log, 'b');
    const c = deadline(log, 'c');
    q.add(0.1, a);
    q.add(0.1, b);
    q.add(0.1, c);
    q.settle(a);
    q.settle(c);
    q.settle(c); // twice is harmless
    jest.advanceTimersByTime(200);
    expect(log).toEqual(['b']);
    expect(a.settled && b.settled && c.settled).toBe(true);
  });

  it('expires a zero-second wait on the next timer turn, not synchronously', () => {
    jest.useFakeTimers();
    const q = new TimeoutQueue();
    const log: string[] = [];
    q.add(0, deadline(log, 'zero'));
    expect(log).toEqual([]);
    jest.advanceTimersByTime(2);
    expect(log).toEqual(['zero']);
  });

  it('can add a wait again after it expired, and the queue keeps working after idling', () => {
    jest.useFakeTimers();
    const q = new TimeoutQueue();
    const log: string[] = [];
    const d = deadline(log, 'again');
    q.add(0.05, d);
    jest.advanceTimersByTime(100);
    q.add(0.05, d);
    jest.advanceTimersByTime(100);
    expect(log).toEqual(['again', 'again']);
  });

  it('reuses its list of waits: after waits settled out of order or in a burst, later ones still expire in order, settled ones never', () => {
    jest.useFakeTimers();
    const q = new TimeoutQueue();
    const log: string[] = [];
    // settled out of order until none is left: the list starts over
    const xs = ['x1', 'x2', 'x3'].map((n) => deadline(log, n));
    for (const x of xs) q.add(1, x);
    for (const i of [1, 0, 2]) q.settle(xs[i]!);
    q.add(1, deadline(log, 'y'));
    jest.advanceTimersByTime(1001);
    expect(log).toEqual(['y']);
    // a burst settled from the front but for its last ten: the settled part is dropped
    const burst = Array.from({ length: 3000 }, (_, i) => deadline(log, `z${i}`));
    for (const z of burst) q.add(1, z);
    for (let i = 0; i < 2990; i++) q.settle(burst[i]!);
    q.add(1, deadline(log, 'w'));
    jest.advanceTimersByTime(1001);
    expect(log).toEqual(['y', ...burst.slice(2990).map((_, i) => `z${2990 + i}`), 'w']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps the process alive only while a wait is pending', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const q = new TimeoutQueue();
    const before = timers();
    const d = deadline([], 'long');
    q.add(3600, d);
    expect(timers()).toBe(before + 1);
    q.settle(d);
    expect(timers()).toBe(before);
    const e = deadline([], 'again');
    q.add(3600, e);
    expect(timers()).toBe(before + 1);
    q.settle(e);
    expect(timers()).toBe(before);
  });
});

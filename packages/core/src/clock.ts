/**
 * The clock of this thread: where ask timeouts, intervals, `later`, `sleep` and supervision
 * backoff read the time and set their timers. It is the real one (performance.now and
 * Node's timers) unless a test installs another with {@link setClock}, e.g. the virtual
 * clock of `@tsactor/testkit`, which moves only when the test says so.
 */

/** A timer set through a {@link Clock}. */
export interface ClockTimer {
  /** keeps the process alive while the timer is pending (Node's semantics) */
  ref(): unknown;
  /** lets the process exit while the timer is pending */
  unref(): unknown;
}

/** Time and timers, in milliseconds. */
export interface Clock {
  /** a monotonic time in milliseconds */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
  setInterval(fn: () => void, ms: number): ClockTimer;
  clearInterval(timer: ClockTimer): void;
}

/** Node's own clock. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t as NodeJS.Timeout),
};

/** The clock in use on this thread (read as `clock.now()` etc. by core's timing code). */
export let clock: Clock = realClock;

/**
 * Replaces this thread's clock and returns the one it replaced. Install it before creating
 * the hosts and timers that should use it: timers already set stay on the clock they were
 * set on.
 */
export function setClock(next: Clock): Clock {
  const previous = clock;
  clock = next;
  return previous;
}

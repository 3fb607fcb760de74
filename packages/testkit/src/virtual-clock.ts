/**
 * A clock that moves only when told: timers set on it fire, in time order, as
 * {@link VirtualClock.advance} passes their time, and the actors get to handle what those
 * timers sent before the next one fires.
 */
import type { Clock, ClockTimer } from '@tsactor/core/internal';

/** A timer of a {@link VirtualClock}. */
class VirtualTimer implements ClockTimer {
  cancelled = false;
  constructor(
    public at: number,
    readonly seq: number,
    readonly fn: () => void,
    /** 0 for a timeout, the period (ms) for an interval */
    readonly period: number,
  ) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** Lets queued work run: promise reactions, the actors' dispatcher, setImmediate callbacks. */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Virtual time in milliseconds, starting at 0. */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return this.add(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(timer: ClockTimer): void {
    if (timer instanceof VirtualTimer) timer.cancelled = true;
  }

  clearInterval(timer: ClockTimer): void {
    this.clearTimeout(timer);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private add(fn: () => void, ms: number, period: number): VirtualTimer {
    const t = new VirtualTimer(this.time + Math.max(0, Number.isFinite(ms) ? ms : 0), ++this.seq, fn, period);
    this.timers.push(t);
    return t;
  }

  /** The earliest pending timer due at or before `until`, removed from the list (null: none). */
  private takeDue(until: number): VirtualTimer | null {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let best: VirtualTimer | null = null;
    for (const t of this.timers) {
      if (t.at <= until && (best === null || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    if (best !== null && best.period === 0) this.timers.splice(this.timers.indexOf(best), 1);
    return best;
  }

  /**
   * Moves the time forward by `ms`, firing every timer due on the way in time order (an
   * interval as often as its period fits), letting the actors handle what each one sent.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new TypeError(`advance: expected a non-negative number of milliseconds, got ${String(ms)}`);
    const end = this.time + ms;
    await settle();
    for (;;) {
      const t = this.takeDue(end);
      if (t === null) break;
      this.time = Math.max(this.time, t.at);
      if (t.period > 0) t.at += t.period;
      t.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

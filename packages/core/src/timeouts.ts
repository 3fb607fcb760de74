/**
 * Deadlines for waiting futures. Waits with the same duration expire in the order they
 * were added, so each duration keeps a FIFO list and a single timer for its head: adding
 * and settling a wait is O(1), and a settled wait is dropped lazily. A timer is ref'd only
 * while a wait of its duration is still pending, so finished work never holds the process.
 */
import { clock, type ClockTimer } from './clock';

export interface Deadline {
  /** set by the owner when the wait ended by itself */
  settled: boolean;
  /** @internal */
  at: number;
  expire(): void;
}

class Bucket {
  /** the waits from `head` to `tail` (slots before `head` are cleared; the array is reused once empty) */
  private items: Deadline[] = [];
  private head = 0;
  private tail = 0;
  private timer: ClockTimer | null = null;
  /** the clock of this thread when the bucket was made (its timers stay on it) */
  private readonly clock = clock;
  pending = 0;

  constructor(
    private readonly ms: number,
    private readonly owner: TimeoutQueue,
  ) {}

  add(d: Deadline): void {
    d.at = this.clock.now() + this.ms;
    this.items[this.tail++] = d;
    this.pending++;
    if (this.timer === null) this.arm(d.at);
    else if (this.pending === 1) this.timer.ref();
  }

  settled(): void {
    if (--this.pending === 0 && this.timer !== null) this.timer.unref();
    // Waits mostly end in the order they began: drop the ended ones from the front now, so
    // that finished asks are not kept alive (and promoted by the GC) until the timer fires.
    const items = this.items;
    const tail = this.tail;
    let h = this.head;
    while (h < tail && items[h]!.settled) items[h++] = undefined as never;
    if (h === tail) {
      // empty: the array is written from its start again (no truncation: setting an array's
      // length is a runtime call), unless a burst left it large
      this.head = this.tail = 0;
      if (items.length > 1024) this.items = [];
    } else {
      this.head = h;
      this.compact();
    }
  }

  /** Drops the cleared slots before `head` when they are most of a long list. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.tail) {
      this.items = this.items.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }

  private arm(at: number): void {
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, at - this.clock.now()) + 1);
    if (this.pending === 0) this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = this.clock.now();
    while (this.head < this.tail) {
      const d = this.items[this.head]!;
      if (!d.settled && d.at > now) break;
      this.items[this.head++] = undefined as never;
      if (!d.settled) {
        d.settled = true;
        this.pending--;
        d.expire();
      }
    }
    this.compact();
    if (this.head < this.tail) this.arm(this.items[this.head]!.at);
    else {
      this.items = [];
      this.head = this.tail = 0;
      this.owner.drop(this.ms);
    }
  };

  cancel(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

export class TimeoutQueue {
  private buckets = new Map<number, Bucket>();

  /** Calls `d.expire()` after `seconds` unless `d` was marked settled (see {@link settle}). */
  add(seconds: number, d: Deadline): void {
    const ms = Math.max(0, Math.round(seconds * 1000));
    let b = this.buckets.get(ms);
    if (b === undefined) this.buckets.set(ms, (b = new Bucket(ms, this)));
    d.settled = false;
    (d as { bucket?: Bucket }).bucket = b;
    b.add(d);
  }

  /** Marks a wait as ended so it neither expires nor keeps the process alive. */
  settle(d: Deadline): void {
    if (d.settled) return;
    d.settled = true;
    (d as { bucket?: Bucket }).bucket?.settled();
  }

  /** @internal */
  drop(ms: number): void {
    this.buckets.delete(ms);
  }
}

/** The queue every future of this thread uses. */
export const timeouts = new TimeoutQueue();

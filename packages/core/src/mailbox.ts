/**
 * A FIFO queue of messages stored as (method, args, reply, kind) entries: push and shift are
 * O(1) and a message costs no allocation of its own. The kind is a small number that says
 * what the entry is (its owner defines the kinds), so that no slot needs a marker value.
 *
 * Entries live in a ring buffer that doubles as it fills, up to {@link CHUNK} entries. A
 * backlog beyond that goes into further arrays of as many entries, in order, each of which
 * becomes the ring once the ring before it is empty. So no array grows past a fixed size
 * (`new Array(n)` beyond 2^25 elements makes a slow dictionary-mode array, and the copy of a
 * huge one stalls its sender), and the memory a burst took is given back: an idle mailbox
 * keeps at most a ring of CHUNK entries, and the arrays of a backlog, once handled, go to
 * this thread's pool of free arrays, which later bursts of any mailbox take from; an array
 * that stays in the pool for a whole {@link POOL_IDLE_MS} is let go.
 */
const SLOTS = 4;
/** entries per array of a backlog, and of the largest ring: 262,144 slots (2 MiB) */
export const CHUNK = 65536;
/** an array that stays this long in the pool of free arrays is let go (within twice as long) */
export const POOL_IDLE_MS = 5000;

/** free arrays of CHUNK entries */
const pool: unknown[][] = [];
/** the fewest arrays the pool held since its last check: that many sat unused the whole interval */
let lowWater = 0;
let poolTimer: ReturnType<typeof setInterval> | null = null;

function takeArray(): unknown[] {
  const a = pool.pop();
  if (a === undefined) return new Array<unknown>(CHUNK * SLOTS);
  if (pool.length < lowWater) lowWater = pool.length;
  return a;
}

function giveArray(a: unknown[]): void {
  pool.push(a);
  if (poolTimer === null) {
    lowWater = 0;
    poolTimer = setInterval(checkPool, POOL_IDLE_MS);
    poolTimer.unref();
  }
}

/** Lets go of the arrays no mailbox needed in the whole interval just ended. */
function checkPool(): void {
  pool.length -= lowWater;
  lowWater = pool.length;
  if (pool.length === 0) {
    clearInterval(poolTimer!);
    poolTimer = null;
  }
}

/** @internal the number of free arrays in this thread's pool (for tests) */
export function pooledArrays(): number {
  return pool.length;
}

/** The arrays of a backlog behind a full ring, oldest first; the last one is filled up to `tail`. */
interface Backlog {
  readonly arrays: unknown[][];
  /** the last of them, which pushes fill */
  last: unknown[];
  tail: number;
  /** entries in all of them */
  count: number;
}

export class Mailbox<TReply, TKind extends number = number> {
  private buf: unknown[];
  private head = 0;
  private tail = 0;
  /**
   * the ring's capacity - 1; -1 while a backlog waits behind it: the ring is then read from
   * its start to its end without wrapping, and every push goes to the backlog (count > mask)
   */
  private mask: number;
  /** entries in the ring */
  private count = 0;
  private backlog: Backlog | null = null;

  /** @param initialCapacity entries the ring starts with (rounded up to a power of two, at least 4) */
  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity && cap < CHUNK) cap <<= 1;
    this.buf = new Array<unknown>(cap * SLOTS);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.backlog === null ? this.count : this.count + this.backlog.count;
  }

  /** the ring's capacity in entries: at most {@link CHUNK}, however long the queue grew */
  get ringCapacity(): number {
    return this.buf.length / SLOTS;
  }

  push(method: string, args: unknown[], reply: TReply | null, kind: TKind): void {
    if (this.count > this.mask) {
      this.pushBehind(method, args, reply, kind);
      return;
    }
    const i = this.tail << 2;
    this.buf[i] = method;
    this.buf[i + 1] = args;
    this.buf[i + 2] = reply;
    this.buf[i + 3] = kind;
    this.tail = (this.tail + 1) & this.mask;
    this.count++;
  }

  /** Removes the oldest message and hands it to `fn` (called on `self`); false when empty. */
  shift<S = undefined>(fn: (this: S, method: string, args: unknown[], reply: TReply | null, kind: TKind) => void, self?: S): boolean {
    return this.shiftRing(fn, self) || (this.refill() && this.shiftRing(fn, self));
  }

  /**
   * {@link shift} from the ring alone: false when the ring is empty, though a backlog may wait
   * behind it ({@link refill} brings it in). For the loop that runs an actor's messages, where
   * the check for a backlog is made once per run instead of once per message.
   */
  shiftRing<S = undefined>(fn: (this: S, method: string, args: unknown[], reply: TReply | null, kind: TKind) => void, self?: S): boolean {
    if (this.count === 0) return false;
    const i = this.head << 2;
    const method = this.buf[i] as string;
    const args = this.buf[i + 1] as unknown[];
    const reply = this.buf[i + 2] as TReply | null;
    const kind = this.buf[i + 3] as TKind;
    // the kind slot holds a small integer: it keeps nothing alive and is overwritten by the next push
    this.buf[i] = this.buf[i + 1] = this.buf[i + 2] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    fn.call(self as S, method, args, reply, kind);
    return true;
  }

  /**
   * When the ring is empty and a backlog waits behind it, its oldest array becomes the ring
   * (the ring goes to the pool): true when there is something to shift now.
   */
  refill(): boolean {
    if (this.count !== 0) return true;
    return this.backlog !== null && this.takeBacklog(this.backlog);
  }

  private takeBacklog(b: Backlog): boolean {
    const next = b.arrays.shift()!;
    const n = b.arrays.length === 0 ? b.tail : CHUNK;
    b.count -= n;
    giveArray(this.buf);
    this.buf = next;
    this.head = 0;
    this.count = n;
    if (b.arrays.length === 0) {
      // the last array of the backlog: a ring again
      this.backlog = null;
      this.mask = CHUNK - 1;
      this.tail = n & this.mask;
    }
    return true;
  }

  /** Removes every message, oldest first, handing each to `fn`. */
  drainAll(fn: (method: string, args: unknown[], reply: TReply | null, kind: TKind) => void): void {
    while (this.shift(fn));
  }

  /** A push to a full ring, or behind a backlog: into the backlog's last array while it has room (small: inlined). */
  private pushBehind(method: string, args: unknown[], reply: TReply | null, kind: TKind): void {
    const b = this.backlog;
    if (b === null || b.tail === CHUNK) {
      this.pushSlow(method, args, reply, kind);
      return;
    }
    const last = b.last;
    const i = b.tail << 2;
    last[i] = method;
    last[i + 1] = args;
    last[i + 2] = reply;
    last[i + 3] = kind;
    b.tail++;
    b.count++;
  }

  /**
   * A push to a full ring, or to a full last array of the backlog: the ring grows, or a
   * backlog starts (the full ring turned to be read from its start, without wrapping), or
   * the backlog takes a new array.
   */
  private pushSlow(method: string, args: unknown[], reply: TReply | null, kind: TKind): void {
    const b = this.backlog;
    if (b !== null) {
      const next = takeArray();
      b.arrays.push(next);
      b.last = next;
      b.tail = 0;
    } else if (this.mask + 1 < CHUNK) {
      this.grow();
    } else {
      if (this.head !== 0) this.grow();
      const next = takeArray();
      this.backlog = { arrays: [next], last: next, tail: 0, count: 0 };
      this.mask = -1;
    }
    this.push(method, args, reply, kind);
  }

  /**
   * Moves the ring's entries to the start of a new array: twice as large below {@link CHUNK}
   * entries, as large at CHUNK (a full ring about to have a backlog).
   */
  private grow(): void {
    const cap = this.mask + 1;
    const size = Math.min(cap * 2, CHUNK);
    const next = size === CHUNK ? takeArray() : new Array<unknown>(size * SLOTS);
    for (let k = 0; k < this.count; k++) {
      const from = ((this.head + k) & this.mask) << 2;
      const to = k << 2;
      next[to] = this.buf[from];
      next[to + 1] = this.buf[from + 1];
      next[to + 2] = this.buf[from + 2];
      next[to + 3] = this.buf[from + 3];
    }
    if (cap === CHUNK) {
      // a pooled array holds no message
      this.buf.fill(undefined);
      giveArray(this.buf);
    }
    this.buf = next;
    this.head = 0;
    this.tail = this.count & (size - 1);
    this.mask = size - 1;
  }
}

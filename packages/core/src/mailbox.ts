/**
 * A FIFO queue of messages stored as (method, args, reply) triples in one growable ring
 * buffer: push and shift are O(1) and a message costs no allocation of its own.
 */
export class Mailbox<TReply> {
  private buf: unknown[];
  private head = 0;
  private tail = 0;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array<unknown>(cap * 3);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  push(method: string, args: unknown[], reply: TReply | null): void {
    if (this.count > this.mask) this.grow();
    const i = this.tail * 3;
    this.buf[i] = method;
    this.buf[i + 1] = args;
    this.buf[i + 2] = reply;
    this.tail = (this.tail + 1) & this.mask;
    this.count++;
  }

  /** Removes the oldest message and hands it to `fn` (called on `self`); false when empty. */
  shift<S = undefined>(fn: (this: S, method: string, args: unknown[], reply: TReply | null) => void, self?: S): boolean {
    if (this.count === 0) return false;
    const i = this.head * 3;
    const method = this.buf[i] as string;
    const args = this.buf[i + 1] as unknown[];
    const reply = this.buf[i + 2] as TReply | null;
    this.buf[i] = this.buf[i + 1] = this.buf[i + 2] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    fn.call(self as S, method, args, reply);
    return true;
  }

  /** Removes every message, oldest first, handing each to `fn`. */
  drainAll(fn: (method: string, args: unknown[], reply: TReply | null) => void): void {
    while (this.shift(fn));
  }

  private grow(): void {
    const cap = this.mask + 1;
    const next = new Array<unknown>(cap * 6);
    for (let k = 0; k < this.count; k++) {
      const from = ((this.head + k) & this.mask) * 3;
      next[k * 3] = this.buf[from];
      next[k * 3 + 1] = this.buf[from + 1];
      next[k * 3 + 2] = this.buf[from + 2];
    }
    this.buf = next;
    this.head = 0;
    this.tail = this.count;
    this.mask = cap * 2 - 1;
  }
}

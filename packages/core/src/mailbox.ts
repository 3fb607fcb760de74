/**
 * A FIFO queue of messages stored as (method, args, reply, kind) entries in one growable
 * ring buffer: push and shift are O(1) and a message costs no allocation of its own. The
 * kind is a small number that says what the entry is (its owner defines the kinds), so
 * that no slot needs a marker value.
 */
export class Mailbox<TReply, TKind extends number = number> {
  private buf: unknown[];
  private head = 0;
  private tail = 0;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array<unknown>(cap * 4);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  push(method: string, args: unknown[], reply: TReply | null, kind: TKind): void {
    if (this.count > this.mask) this.grow();
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

  /** Removes every message, oldest first, handing each to `fn`. */
  drainAll(fn: (method: string, args: unknown[], reply: TReply | null, kind: TKind) => void): void {
    while (this.shift(fn));
  }

  private grow(): void {
    const cap = this.mask + 1;
    const next = new Array<unknown>(cap * 8);
    for (let k = 0; k < this.count; k++) {
      const from = ((this.head + k) & this.mask) << 2;
      const to = k << 2;
      next[to] = this.buf[from];
      next[to + 1] = this.buf[from + 1];
      next[to + 2] = this.buf[from + 2];
      next[to + 3] = this.buf[from + 3];
    }
    this.buf = next;
    this.head = 0;
    this.tail = this.count;
    this.mask = cap * 2 - 1;
  }
}

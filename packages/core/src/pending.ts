/**
 * The asks of a link or channel that wait for their answers, by id (transports and the
 * threads runtime). Ids are given in increasing order and most asks are answered before
 * many later ones are made, so they are kept in a ring indexed by their id (no hashing, no
 * table to grow and shrink); an ask whose slot is still taken by an older one that waits
 * goes to a Map instead. It holds what the caller put in: as many asks as are in flight.
 */

/** Slots of the ring: more asks than this in flight at once spill into the Map. */
const SLOTS = 512;

export class PendingAsks<T> {
  /** the id of the ask in each slot (0: free) */
  private readonly ids = new Array<number>(SLOTS).fill(0);
  private readonly replies = new Array<T | undefined>(SLOTS).fill(undefined);
  /** asks whose slot was taken */
  private readonly spilled = new Map<number, T>();
  /** asks waiting, in the ring and the Map */
  size = 0;

  /** Keeps `reply` for ask `id` (a positive integer not waiting already). */
  set(id: number, reply: T): void {
    // the low bits of the id (exact for every id below 2^53)
    const i = id & (SLOTS - 1);
    if (this.ids[i] === 0) {
      this.ids[i] = id;
      this.replies[i] = reply;
    } else {
      this.spilled.set(id, reply);
    }
    this.size++;
  }

  /** Removes and returns the reply of ask `id`, or undefined when no such ask waits. */
  take(id: number): T | undefined {
    const i = id & (SLOTS - 1);
    if (this.ids[i] === id && id !== 0) {
      const r = this.replies[i];
      this.ids[i] = 0;
      this.replies[i] = undefined;
      this.size--;
      return r;
    }
    const r = this.spilled.get(id);
    if (r !== undefined) {
      this.spilled.delete(id);
      this.size--;
    }
    return r;
  }

  /** Removes every ask and returns their replies, oldest ask first (the order they were made in). */
  drain(): T[] {
    if (this.size === 0) return [];
    const all: Array<[number, T]> = [];
    for (let i = 0; i < SLOTS; i++) {
      if (this.ids[i] !== 0) {
        all.push([this.ids[i]!, this.replies[i]!]);
        this.ids[i] = 0;
        this.replies[i] = undefined;
      }
    }
    for (const entry of this.spilled) all.push(entry);
    this.spilled.clear();
    this.size = 0;
    all.sort((a, b) => a[0] - b[0]);
    return all.map((e) => e[1]);
  }
}

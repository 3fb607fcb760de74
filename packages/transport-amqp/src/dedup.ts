/**
 * De-duplication of delivered messages. Every AMQP message a sender publishes carries the
 * sender's id and a sequence number that grows by one per message (`<sender>.<seq>`), and
 * the lowest sequence number the sender might still publish again (its floor: everything
 * below it is confirmed by the broker). A message published twice (re-sent after a lost
 * connection, or delivered again by the broker) is recognised and dropped.
 *
 * Per sender, the receiver keeps the highest sequence number below which it has seen
 * everything, plus the set of numbers seen above it (messages that arrived past a gap).
 *
 * What a forged message can do depends on whether messages are authenticated:
 * - trusted floors (the host has a token: only messages whose MAC proved the token reach
 *   this table): floors close gaps, and a gap is given up after {@link MAX_GAP} messages;
 * - untrusted floors (a host without a token: anyone who may publish to the broker can
 *   forge a message id): a floor counts only for the first message of a sender, a sequence
 *   number moves the table only within {@link MAX_AHEAD} of what was seen in order (one
 *   further on is delivered and not recorded), and gaps are never given up. A forged
 *   message can then shadow at most the one real message with its own sequence number;
 *   it can never make the host drop a run of a real sender's later messages.
 * Either way at most {@link MAX_SENDERS} senders are kept (the oldest is forgotten first: a
 * forgotten sender starts again at its next message's floor).
 */

/** How many out-of-order sequence numbers are kept per sender before the gap is given up (trusted floors). */
export const MAX_GAP = 100_000;

/** How far past the last number seen in order a sequence number may be recorded (untrusted floors). */
export const MAX_AHEAD = 65_536;

/** How many senders are remembered at most. */
export const MAX_SENDERS = 10_000;

interface SenderState {
  /** every seq <= low was seen (or will never come) */
  low: number;
  /** seqs > low that were seen */
  readonly above: Set<number>;
}

/** How a table is kept (see the module comment). */
export interface DedupOptions {
  /** whether floors come from authenticated senders (default true) */
  readonly trustFloors?: boolean;
}

/** The state of a table as stored on the broker: per sender [id, low, seqs seen above low]. */
export type DedupSnapshot = Array<[string, number, number[]]>;

/** The dedup table of one served host (see the module comment). */
export class Dedup {
  private readonly senders = new Map<string, SenderState>();
  private readonly trustFloors: boolean;
  /** messages dropped as duplicates */
  duplicates = 0;
  /** bumped on every change (for deciding whether to store the table again) */
  version = 0;

  constructor(options: DedupOptions = {}) {
    this.trustFloors = options.trustFloors ?? true;
  }

  /**
   * True when the message was seen before (drop it); false when it is new (it is now
   * recorded as seen, when it can be). Messages without a well-formed id are always new.
   */
  seen(messageId: string | undefined, floor: number): boolean {
    if (messageId === undefined) return false;
    const dot = messageId.lastIndexOf('.');
    if (dot <= 0) return false;
    const seq = Number(messageId.slice(dot + 1));
    if (!Number.isSafeInteger(seq) || seq <= 0) return false;
    // a real sender's floor is never above the message's own number (the message itself is unconfirmed)
    const f = Number.isSafeInteger(floor) && floor > 0 && floor <= seq ? floor : 0;
    const sender = messageId.slice(0, dot);
    let s = this.senders.get(sender);
    if (s === undefined) {
      // first message of this sender: everything below its floor was handled elsewhere
      // (by an earlier receiver) or is ahead of it in the queue and so already seen
      s = { low: f > 0 ? f - 1 : seq - 1, above: new Set() };
      if (this.senders.size >= MAX_SENDERS) this.senders.delete(this.senders.keys().next().value!);
      this.senders.set(sender, s);
    }
    if (seq <= s.low || s.above.has(seq)) {
      this.duplicates++;
      return true;
    }
    if (seq === s.low + 1) {
      s.low = seq;
      while (s.above.size > 0 && s.above.delete(s.low + 1)) s.low++;
    } else if (this.trustFloors) {
      s.above.add(seq);
      if (s.above.size > MAX_GAP) this.giveUpGap(s);
    } else if (seq - s.low <= MAX_AHEAD) {
      s.above.add(seq);
    } else {
      return false; // delivered, not recorded
    }
    this.version++;
    if (this.trustFloors && f - 1 > s.low) {
      // the sender will never publish anything below its floor again
      s.low = f - 1;
      for (const n of s.above) if (n <= s.low) s.above.delete(n);
      while (s.above.size > 0 && s.above.delete(s.low + 1)) s.low++;
    }
    return false;
  }

  private giveUpGap(s: SenderState): void {
    let min = Infinity;
    for (const n of s.above) if (n < min) min = n;
    s.low = min;
    s.above.delete(min);
    while (s.above.size > 0 && s.above.delete(s.low + 1)) s.low++;
  }

  /** Number of senders known (for diagnostics and tests). */
  get size(): number {
    return this.senders.size;
  }

  /** Sequence numbers recorded, over all senders (for tests: what a message changed). */
  get recorded(): number {
    let n = 0;
    for (const s of this.senders.values()) n += s.low + s.above.size;
    return n;
  }

  /** The first `max` sender ids known (for diagnostics). */
  senderIds(max: number): string[] {
    const out: string[] = [];
    for (const id of this.senders.keys()) {
      if (out.length >= max) break;
      out.push(id);
    }
    return out;
  }

  /** The table, to be stored. */
  snapshot(): DedupSnapshot {
    const out: DedupSnapshot = [];
    for (const [id, s] of this.senders) out.push([id, s.low, [...s.above]]);
    return out;
  }

  /**
   * Replaces the table with a stored one. Entries that are not well-formed are skipped (the
   * store is on the broker: whatever is there is checked like a message).
   */
  restore(snapshot: unknown): void {
    this.senders.clear();
    if (!Array.isArray(snapshot)) return;
    for (const e of snapshot.slice(0, MAX_SENDERS) as unknown[]) {
      if (!Array.isArray(e) || e.length !== 3) continue;
      const [id, low, above] = e as [unknown, unknown, unknown];
      if (typeof id !== 'string' || id.length > 200 || !Number.isSafeInteger(low) || (low as number) < 0 || !Array.isArray(above)) continue;
      const set = new Set<number>();
      for (const n of (above as unknown[]).slice(0, MAX_GAP))
        if (Number.isSafeInteger(n) && (n as number) > (low as number)) set.add(n as number);
      this.senders.set(id, { low: low as number, above: set });
    }
    this.version++;
  }
}

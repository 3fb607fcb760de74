/**
 * De-duplication of delivered messages. Every AMQP message a sender publishes carries the
 * sender's id and a sequence number that grows by one per message (`<sender>.<seq>`), and
 * the lowest sequence number the sender might still publish again (its floor: everything
 * below it is confirmed by the broker). A message published twice (re-sent after a lost
 * connection, or delivered again by a restarted broker) is recognised and dropped.
 *
 * Per sender, the receiver keeps the highest sequence number below which it has seen
 * everything, plus the set of numbers seen above it (messages that arrived past a gap).
 */

/** How many out-of-order sequence numbers are kept per sender before the gap is given up. */
export const MAX_GAP = 100_000;

interface SenderState {
  /** every seq <= low was seen (or will never come) */
  low: number;
  /** seqs > low that were seen */
  readonly above: Set<number>;
}

export class Dedup {
  private readonly senders = new Map<string, SenderState>();
  /** messages dropped as duplicates */
  duplicates = 0;

  /**
   * True when the message was seen before (drop it); false when it is new (it is now
   * recorded as seen). Messages without a well-formed id are always new.
   */
  seen(messageId: string | undefined, floor: number): boolean {
    if (messageId === undefined) return false;
    const dot = messageId.lastIndexOf('.');
    if (dot <= 0) return false;
    const seq = Number(messageId.slice(dot + 1));
    if (!Number.isSafeInteger(seq) || seq <= 0) return false;
    const sender = messageId.slice(0, dot);
    let s = this.senders.get(sender);
    if (s === undefined) {
      // first message of this sender: everything below its floor was handled elsewhere
      // (by an earlier receiver) or is ahead of it in the queue and so already seen
      const low = Number.isSafeInteger(floor) && floor > 0 && floor <= seq ? floor - 1 : seq - 1;
      s = { low, above: new Set() };
      this.senders.set(sender, s);
    }
    if (seq <= s.low || s.above.has(seq)) {
      this.duplicates++;
      return true;
    }
    if (seq === s.low + 1) {
      s.low = seq;
      while (s.above.size > 0 && s.above.delete(s.low + 1)) s.low++;
    } else {
      s.above.add(seq);
      if (s.above.size > MAX_GAP) this.giveUpGap(s);
    }
    if (floor - 1 > s.low) {
      // the sender will never publish anything below its floor again
      s.low = floor - 1;
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

  /** Number of senders known (for diagnostics). */
  get size(): number {
    return this.senders.size;
  }
}

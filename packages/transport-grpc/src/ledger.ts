/**
 * Acknowledgements: how a sender knows which of the tells it wrote reached the peer.
 *
 * A sender's messages to one host belong to a session (a random id per channel, sent as
 * the `tsactor-session` metadata of each stream it opens). The receiving host counts the
 * envelopes of each session it received (whole frames: a frame cut off mid-way counts for
 * nothing) and acknowledges that count: in an `ack` frame (Frame field 6) right after its
 * Welcome, which gives the count of the session so far (the resume count), and then every
 * heartbeat while more arrive. The sender records every frame it writes in its
 * {@link Ledger}; after a lost connection it reconnects, reads the resume count, and reports
 * exactly the tells the host never received as dead letters.
 */
import { putVarint, varintSize } from '@tsactor/core/internal';

/** The first byte of an ack frame: Frame field 6 (ack), varint. */
const ACK_TAG = (6 << 3) | 0;

/** An ack frame: a Frame holding only `ack = count`. */
export function encodeAck(count: number): Buffer {
  const buf = Buffer.allocUnsafe(1 + varintSize(count));
  buf[0] = ACK_TAG;
  putVarint(buf, 1, count);
  return buf;
}

/** The count of an ack frame, or -1 when `buf` is another frame. */
export function readAck(buf: Buffer): number {
  if (buf.length < 2 || buf.length > 9 || buf[0] !== ACK_TAG) return -1;
  let n = 0;
  let mul = 1;
  for (let i = 1; i < buf.length; i++) {
    const b = buf[i]!;
    n += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return i === buf.length - 1 ? n : -1;
  }
  return -1;
}

/** The sender's record of the frames written in one session and not yet acknowledged. */
export class Ledger {
  /** envelopes written in this session (counted as the receiver counts them) */
  private sent = 0;
  /** tells among them */
  private sentTells = 0;
  /** tells the receiver acknowledged */
  private ackedTells = 0;
  /** [envelopes, tells] at the end of each frame written and not acknowledged (flat, from `head`) */
  private frames: number[] = [];
  private head = 0;

  /** A frame of `count` envelopes, `tells` of them tells, was written to the stream. */
  written(count: number, tells: number): void {
    this.sent += count;
    this.sentTells += tells;
    this.frames.push(this.sent, this.sentTells);
  }

  /** The receiver has received the first `n` envelopes of the session. */
  ack(n: number): void {
    const f = this.frames;
    let h = this.head;
    while (h < f.length && f[h]! <= n) {
      this.ackedTells = f[h + 1]!;
      h += 2;
    }
    if (h === f.length) {
      f.length = 0;
      h = 0;
    } else if (h > 4096 && 2 * h > f.length) {
      this.frames = f.slice(h);
      h = 0;
    }
    this.head = h;
  }

  /** tells written and not acknowledged */
  get unconfirmed(): number {
    return this.sentTells - this.ackedTells;
  }

  /**
   * After a reconnection: the receiver has `n` envelopes of this session in all. Returns how
   * many tells written before it never reached it; counting goes on from `n`.
   */
  resume(n: number): number {
    this.ack(n);
    const lost = this.sentTells - this.ackedTells;
    this.frames = [];
    this.head = 0;
    this.sent = n;
    this.sentTells = this.ackedTells;
    return lost;
  }

  /** Forgets the session (a new one starts at 0) and returns the tells that were never confirmed. */
  reset(): number {
    const lost = this.unconfirmed;
    this.sent = 0;
    this.sentTells = 0;
    this.ackedTells = 0;
    this.frames = [];
    this.head = 0;
    return lost;
  }
}

/**
 * When a peer was last heard from, kept with no clock read per frame: frames are counted, and
 * the time is read when someone looks. The heartbeat looks every interval, so the time is at
 * most one interval later than the true one.
 */
export class Hearing {
  /** frames received (also tells whether the peer spoke since a moment) */
  frames = 0;
  private framesAtLook = 0;

  /** `last`: performance.now() of the start (the peer counts as heard then) */
  constructor(private last: number) {}

  /** When the peer was last heard from, `now` being performance.now(). */
  at(now: number): number {
    if (this.frames !== this.framesAtLook) this.heard(now);
    return this.last;
  }

  /** The peer counts as heard at `now` (a new connection, or this process's own lag excused its silence). */
  heard(now: number): void {
    this.framesAtLook = this.frames;
    this.last = now;
  }
}

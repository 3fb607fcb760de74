/**
 * Batching of envelopes onto one stream: envelopes are written straight into a frame buffer
 * (a Frame whose repeated `batch` field holds them, in order), and frames go out once per
 * microtask (so everything sent in one synchronous run goes out together), a new frame
 * starting when one reaches `settings.batchBytes`. When the stream asks to wait (write()
 * returned false), envelopes keep accumulating until 'drain'.
 *
 * Frames are carved one after the other out of a shared buffer and never written over (the
 * stream copies them later, in its own microtasks): a frame costs no allocation of its own,
 * a new buffer is taken only when one is full.
 */
import { batchEntrySize, encodeFrame, putVarint, writeEnvelope, EnvelopeSizes, type OutgoingEnvelope } from '@tsactor/core/internal';
import { settings } from './config';
import type { Ledger } from './ledger';

export interface FrameSink {
  /** writes a frame; false: wait for drain before writing more */
  write(frame: Buffer): boolean;
}

const INITIAL = 16 * 1024;
const PING = encodeFrame({ ping: true });
/** a reaction on a settled promise is a microtask without queueMicrotask's per-call AsyncResource */
const SETTLED = Promise.resolve();

export class Outbox {
  private cur = Buffer.allocUnsafe(INITIAL);
  /** where the frame being filled starts in `cur` (the bytes before it belong to sealed frames) */
  private start = 0;
  private pos = 0;
  /** the size of the last frame sealed */
  private lastSealed = 0;
  private count = 0;
  private tells = 0;
  private sealed: Array<{ frame: Buffer; count: number; tells: number }> = [];
  private sealedBytes = 0;
  private scheduled = false;
  private waitingDrain = false;
  /** frames written (pings aside), and their count at the last heartbeat: a clock read per frame would cost more */
  private writes = 0;
  private writesAtBeat = 0;
  /** envelopes appended and not yet written */
  queued = 0;
  /** tells among them */
  queuedTells = 0;

  /**
   * @param ledger where the frames written are recorded, to count what the peer acknowledged
   * (the sending side of a connection); null: not recorded
   */
  constructor(
    private sink: FrameSink | null,
    private readonly ledger: Ledger | null = null,
  ) {}

  /** bytes of envelopes appended and not yet handed to the stream */
  get queuedBytes(): number {
    return this.sealedBytes + this.pos - this.start;
  }

  /** true while the stream asked to wait (write returned false) and has not drained */
  get backedUp(): boolean {
    return this.waitingDrain;
  }

  /** Starts (or stops, with null) writing to a sink; queued envelopes go out on the next flush. */
  attach(sink: FrameSink | null): void {
    this.sink = sink;
    this.waitingDrain = false;
    if (sink !== null && this.queued > 0) this.schedule();
  }

  /** Where callers measure the envelope they give to {@link add} next (measureEnvelope(e, outbox.sizes)). */
  readonly sizes = new EnvelopeSizes();

  /** Appends an envelope just measured with measureEnvelope (`size` is what it returned). */
  add(e: OutgoingEnvelope, size: number, tell: boolean): void {
    const entry = batchEntrySize(size);
    if (this.pos + entry > this.cur.length) {
      if (this.pos > this.start && this.pos - this.start + entry > settings.batchBytes) this.seal();
      if (this.pos + entry > this.cur.length) this.renew(this.pos - this.start + entry);
    }
    const buf = this.cur;
    buf[this.pos] = 0x0a; // field 1 (batch), length-delimited
    const end = writeEnvelope(buf, putVarint(buf, this.pos + 1, size), e, this.sizes);
    this.pos = end;
    this.count++;
    this.queued++;
    if (tell) {
      this.tells++;
      this.queuedTells++;
    }
    this.schedule();
  }

  /**
   * Takes a new buffer of at least `min` bytes, the frame being filled moved to its start;
   * room for twice that frame, or for one like the last sealed (under load, frames are full).
   */
  private renew(min: number): void {
    const want = Math.max(INITIAL, 2 * (this.pos - this.start), this.lastSealed);
    const next = Buffer.allocUnsafe(Math.max(min, Math.min(settings.batchBytes, want)));
    this.cur.copy(next, 0, this.start, this.pos);
    this.pos -= this.start;
    this.start = 0;
    this.cur = next;
  }

  /** Ends the frame being filled and returns it (read `count` and `tells` first: a new frame starts). */
  private cut(): Buffer {
    const frame = this.cur.subarray(this.start, this.pos);
    this.lastSealed = frame.length;
    // the frame's bytes now belong to the stream: the next frame starts after them
    this.start = this.pos;
    this.count = 0;
    this.tells = 0;
    return frame;
  }

  /** Queues the frame being filled, to be written after the frames queued before it. */
  private seal(): void {
    const count = this.count;
    const tells = this.tells;
    const frame = this.cut();
    this.sealed.push({ frame, count, tells });
    this.sealedBytes += frame.length;
  }

  private schedule(): void {
    if (this.scheduled || this.sink === null) return;
    this.scheduled = true;
    void SETTLED.then(this.flush);
  }

  /** Writes what is queued (as far as the stream accepts). */
  readonly flush = (): void => {
    this.scheduled = false;
    const sink = this.sink;
    if (sink === null || this.waitingDrain) return;
    while (this.sealed.length > 0) {
      const batch = this.sealed.shift()!;
      this.sealedBytes -= batch.frame.length;
      if (!this.write(sink, batch.frame, batch.count, batch.tells)) return;
    }
    // the frame being filled goes straight out (not through `sealed`)
    if (this.pos > this.start) {
      const count = this.count;
      const tells = this.tells;
      this.write(sink, this.cut(), count, tells);
    }
  };

  /** Writes a frame of `count` envelopes (`tells` of them tells); false when the stream asks to wait. */
  private write(sink: FrameSink, frame: Buffer, count: number, tells: number): boolean {
    this.queued -= count;
    this.queuedTells -= tells;
    this.writes++;
    this.ledger?.written(count, tells);
    if (sink.write(frame)) return true;
    this.waitingDrain = true;
    return false;
  }

  /** Called on the stream's 'drain'. */
  drained(): void {
    this.waitingDrain = false;
    this.flush();
  }

  /**
   * True when nothing was written since the previous call (the heartbeat asks once per beat:
   * the stream was quiet for at least a whole interval).
   */
  quiet(): boolean {
    const quiet = this.writes === this.writesAtBeat;
    this.writesAtBeat = this.writes;
    return quiet;
  }

  /** Sends a heartbeat, unless data is waiting to go out anyway (or the stream is backed up). */
  ping(): void {
    if (this.sink === null || this.waitingDrain || this.queued > 0) return;
    this.sink.write(PING);
  }

  /** Writes a control frame (close, welcome) after what is queued. */
  control(parts: Parameters<typeof encodeFrame>[0]): void {
    if (this.sink === null) return;
    this.flushNow();
    this.writes++;
    this.sink.write(encodeFrame(parts));
  }

  /** Writes everything queued now, ignoring back-pressure (before a close). */
  flushNow(): void {
    const sink = this.sink;
    if (sink === null) return;
    if (this.pos > this.start) this.seal();
    // whatever the stream answers: everything goes now
    for (const batch of this.sealed) this.write(sink, batch.frame, batch.count, batch.tells);
    this.sealed = [];
    this.sealedBytes = 0;
    this.waitingDrain = false;
  }

  /** Writes a small frame now, outside the batches (an acknowledgement), unless the stream is backed up. */
  direct(frame: Buffer): void {
    if (this.sink === null || this.waitingDrain) return;
    this.writes++;
    this.sink.write(frame);
  }

  /** Drops what is queued and returns how many tells were among the dropped envelopes. */
  clear(): number {
    const n = this.queuedTells;
    this.sealed = [];
    this.sealedBytes = 0;
    this.pos = this.start;
    this.count = 0;
    this.tells = 0;
    this.queued = 0;
    this.queuedTells = 0;
    return n;
  }
}

/** Something the heartbeat looks after. */
export interface Beating {
  /** called every heartbeat interval */
  beat(now: number, late: boolean): void;
}

/**
 * One unref'd timer for every connection of the process: pings idle streams and notices
 * silent peers. It never keeps the process alive and stops when no connection is left.
 */
class Heartbeat {
  private readonly members = new Set<Beating>();
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  add(m: Beating): void {
    this.members.add(m);
    if (this.timer === null) {
      this.last = performance.now();
      this.timer = setInterval(this.tick, Math.max(10, settings.heartbeatInterval * 1000));
      this.timer.unref();
    }
  }

  delete(m: Beating): void {
    this.members.delete(m);
    if (this.members.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): number {
    return this.members.size;
  }

  private readonly tick = (): void => {
    const now = performance.now();
    // a tick much later than planned means this process was busy: peers get the benefit of the doubt
    const late = now - this.last > 2.5 * settings.heartbeatInterval * 1000;
    this.last = now;
    for (const m of [...this.members]) m.beat(now, late);
  };
}

export const heartbeat = new Heartbeat();

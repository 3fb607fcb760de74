/**
 * The Outbox on its own, against a sink that keeps every frame it is given without copying
 * it (as a stream may, until its own microtasks copy it): frames are carved out of shared
 * buffers, so one handed out must never be written over by the envelopes added after it.
 */
import { EnvelopeKind, decodeFrame, measureEnvelope, type OutgoingEnvelope } from '@tsactor/core/internal';
import { Outbox } from '../src/outbox';
import { Ledger } from '../src/ledger';
import { settings } from '../src/config';

function tell(id: number, args: string): OutgoingEnvelope {
  return { kind: EnvelopeKind.TELL, id, target: `t${id % 7}`, method: 'm', args, ctorArgs: null, value: null, sender: '' };
}

/** A sink that keeps the frames it gets (no copy); `accept` says what write() returns. */
function keepingSink(): { frames: Buffer[]; accept: boolean; write(f: Buffer): boolean } {
  return {
    frames: [],
    accept: true,
    write(f: Buffer): boolean {
      this.frames.push(f);
      return this.accept;
    },
  };
}

function add(outbox: Outbox, e: OutgoingEnvelope, isTell = true): void {
  outbox.add(e, measureEnvelope(e, outbox.sizes), isTell);
}

/** The ids of the envelopes of the frames, in order. */
function ids(frames: Buffer[]): number[] {
  return frames.flatMap((f) => decodeFrame(f).batch.map((e) => e.id));
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('frames handed to the stream keep their bytes while later envelopes fill the same buffer, and a new one', async () => {
  const sink = keepingSink();
  const outbox = new Outbox(sink);
  const sent: number[] = [];
  let id = 1;
  // one envelope per flush (a lone message), many of them: they share a buffer until it is full
  for (let i = 0; i < 2000; i++) {
    sent.push(id);
    add(outbox, tell(id++, `[${i}]`));
    await Promise.resolve();
  }
  // one large enough to need a buffer of its own, then small ones in the same frame
  sent.push(id);
  add(outbox, tell(id++, JSON.stringify(['x'.repeat(40_000)])));
  for (let i = 0; i < 50; i++) {
    sent.push(id);
    add(outbox, tell(id++, `[${i}]`));
  }
  await tick();
  expect(sink.frames.length).toBe(2001);
  expect(ids(sink.frames)).toEqual(sent);
  // the frames still hold what they held when written
  const big = decodeFrame(sink.frames[2000]!).batch[0]!;
  expect(Buffer.from(big.args!).toString('utf8', 1)).toBe(JSON.stringify(['x'.repeat(40_000)]));
  expect(outbox.queued).toBe(0);
  expect(outbox.queuedBytes).toBe(0);
});

test('envelopes sent in one synchronous run go out in one frame; the ledger counts frames and tells', async () => {
  const sink = keepingSink();
  const ledger = new Ledger();
  const outbox = new Outbox(sink, ledger);
  for (let i = 1; i <= 10; i++) add(outbox, tell(i, '[]'), i % 2 === 0);
  expect(sink.frames).toHaveLength(0);
  await Promise.resolve();
  expect(sink.frames).toHaveLength(1);
  expect(ids(sink.frames)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(ledger.unconfirmed).toBe(5);
  ledger.ack(10);
  expect(ledger.unconfirmed).toBe(0);
});

test('while the stream asks to wait, envelopes wait in frames of at most batchBytes, written in order on drain', async () => {
  const sink = keepingSink();
  const outbox = new Outbox(sink);
  sink.accept = false;
  add(outbox, tell(1, '[0]'));
  await tick();
  expect(sink.frames).toHaveLength(1);
  expect(outbox.backedUp).toBe(true);
  const payload = JSON.stringify(['y'.repeat(1000)]);
  const count = Math.ceil((3 * settings.batchBytes) / 1000);
  for (let i = 0; i < count; i++) add(outbox, tell(i + 2, payload));
  await tick();
  // nothing more was written while backed up
  expect(sink.frames).toHaveLength(1);
  expect(outbox.queued).toBe(count);
  sink.accept = true;
  outbox.drained();
  expect(outbox.backedUp).toBe(false);
  expect(outbox.queued).toBe(0);
  expect(sink.frames.length).toBeGreaterThanOrEqual(4);
  for (const f of sink.frames) expect(f.length).toBeLessThanOrEqual(settings.batchBytes);
  expect(ids(sink.frames)).toEqual(Array.from({ length: count + 1 }, (_, i) => i + 1));
});

test('quiet() tells the heartbeat whether anything was written since it last asked', async () => {
  const sink = keepingSink();
  const outbox = new Outbox(sink);
  expect(outbox.quiet()).toBe(true);
  add(outbox, tell(1, '[]'));
  await Promise.resolve();
  expect(outbox.quiet()).toBe(false);
  expect(outbox.quiet()).toBe(true);
  // a ping is not traffic: the stream stays quiet (and keeps being pinged)
  outbox.ping();
  expect(sink.frames).toHaveLength(2);
  expect(outbox.quiet()).toBe(true);
  outbox.direct(Buffer.from([0x30, 1]));
  expect(outbox.quiet()).toBe(false);
});

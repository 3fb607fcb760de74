/**
 * The trace context in envelopes (Envelope.traceparent/tracestate): written only when
 * present, decoded when valid and small, ignored by the decoder otherwise; and nothing
 * observes until something turns observation on.
 */
import { createHost, shutdown } from 'tsactor';
import {
  EnvelopeKind,
  decodeEnvelope,
  encodeEnvelope,
  formatTraceparent,
  observing,
  parseTraceparent,
  type OutgoingEnvelope,
} from '@tsactor/core/internal';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function envelope(extra: Partial<OutgoingEnvelope> = {}): OutgoingEnvelope {
  return { kind: EnvelopeKind.TELL, id: 0, target: 'a', method: 'm', args: '[]', ctorArgs: null, value: null, sender: '', ...extra };
}

it('writes the trace context only when there is one, and reads it back', () => {
  const plain = encodeEnvelope(envelope());
  expect(encodeEnvelope(envelope({ traceparent: '', tracestate: '' }))).toEqual(plain);
  const traced = encodeEnvelope(envelope({ traceparent: TP, tracestate: 'vendor=1' }));
  expect(traced.byteLength).toBe(plain.byteLength + 2 + TP.length + 2 + 'vendor=1'.length);
  const back = decodeEnvelope(traced);
  expect(back.traceparent).toBe(TP);
  expect(back.tracestate).toBe('vendor=1');
  expect(back.method).toBe('m');
  expect(decodeEnvelope(plain).traceparent).toBe('');
});

it('skips a trace field longer than any valid one, and one of the wrong wire type is malformed', () => {
  const long = decodeEnvelope(encodeEnvelope(envelope({ traceparent: 'x'.repeat(600) })));
  expect(long.traceparent).toBe('');
  expect(long.method).toBe('m');
  // field 9 as a varint
  expect(() => decodeEnvelope(Buffer.from([0x48, 0x01]))).toThrow(/traceparent has the wrong wire type/);
});

it('parses only valid W3C traceparents', () => {
  const ctx = parseTraceparent(TP);
  expect(ctx).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
  expect(formatTraceparent(ctx!)).toBe(TP);
  for (const bad of [
    '',
    TP.toUpperCase(),
    TP.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)),
    TP.replace('00f067aa0ba902b7', '0'.repeat(16)),
    `ff${TP.slice(2)}`,
    `${TP}-extra`,
  ]) {
    expect(parseTraceparent(bad)).toBeNull();
  }
});

it('observes nothing while no provider is registered and no inspector runs', async () => {
  await createHost('local://trace-context:1/host');
  expect(observing.on).toBe(false);
  expect(observing.stats).toBe(false);
  await shutdown();
});

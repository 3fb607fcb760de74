/**
 * The hand-written codec of core (wire/envelope.ts) against protobufjs reading and writing
 * the same messages from protos/tsactor.proto (through @grpc/proto-loader): every frame the
 * transports write is a valid protobuf Frame, and the reverse.
 */
import { EnvelopeKind, WIRE_VERSION, decodeFrame, encodeEnvelope, encodeFrame, packValue, unpackValue } from '@tsactor/core/internal';
import { protobufConnect } from '../src/service';

type Obj = Record<string, unknown>;

const toProto = (f: Obj): Buffer => protobufConnect.requestSerialize(f);
// enums come back as numbers (proto-loader's default), 64-bit ids as numbers (longs: Number)
const fromProto = (b: Buffer): Obj => protobufConnect.requestDeserialize(b) as Obj;

test('a batch frame written by hand is read by protobufjs', () => {
  const args = packValue(['hello', 1, { ü: [true, null] }], { refs: false, where: 'test' });
  const big = 2 ** 40 + 7;
  const frame = encodeFrame({
    batch: [
      encodeEnvelope({
        kind: EnvelopeKind.ASK,
        id: big,
        target: 'echo1',
        method: 'échö',
        args,
        ctorArgs: null,
        value: null,
        sender: 'grpc://a:1/x',
      }),
      encodeEnvelope({
        kind: EnvelopeKind.TELL,
        id: 0,
        target: '',
        method: 'spawn',
        args,
        ctorArgs: Buffer.from([1, 2, 3]),
        value: null,
        sender: '',
      }),
      encodeEnvelope({
        kind: EnvelopeKind.RESULT,
        id: 3,
        target: '',
        method: '',
        args: null,
        ctorArgs: null,
        value: Buffer.from('J1'),
        sender: '',
      }),
    ],
    ping: true,
  });
  const p = fromProto(frame);
  const batch = p.batch as Obj[];
  expect(batch).toHaveLength(3);
  expect(batch[0]).toMatchObject({ kind: EnvelopeKind.ASK, id: big, target: 'echo1', method: 'échö', sender: 'grpc://a:1/x' });
  expect(unpackValue(batch[0]!.args as Buffer, { owner: null })).toEqual(['hello', 1, { ü: [true, null] }]);
  expect(batch[1]).toMatchObject({ kind: EnvelopeKind.TELL, target: '', method: 'spawn' });
  expect([...(batch[1]!.ctorArgs as Buffer)]).toEqual([1, 2, 3]);
  expect(batch[2]).toMatchObject({ kind: EnvelopeKind.RESULT, id: 3 });
  expect(p.ping).toBe(true);
});

test('control frames written by hand are read by protobufjs', () => {
  expect(
    fromProto(encodeFrame({ hello: { version: WIRE_VERSION, from: 'grpc://127.0.0.1:1679/', to: 'grpc://127.0.0.1:1277/', token: 'tök' } }))
      .hello,
  ).toEqual({
    version: WIRE_VERSION,
    from: 'grpc://127.0.0.1:1679/',
    to: 'grpc://127.0.0.1:1277/',
    token: 'tök',
  });
  expect(fromProto(encodeFrame({ welcome: { version: 1, host: 'grpc://h:1/', maxMessageSize: 16 << 20 } })).welcome).toEqual({
    version: 1,
    host: 'grpc://h:1/',
    maxMessageSize: 16 << 20,
  });
  expect(fromProto(encodeFrame({ close: { code: 'SHUTDOWN', message: 'bye' } })).close).toEqual({ code: 'SHUTDOWN', message: 'bye' });
});

test('frames written by protobufjs are read by the hand-written decoder, unknown fields skipped', () => {
  const buf = toProto({
    batch: [
      { kind: EnvelopeKind.ERROR, id: 12345678901, value: Buffer.from('J"x"') },
      { kind: EnvelopeKind.TELL, target: 'a', method: 'b', args: Buffer.from('J[]') },
    ],
    hello: { version: 1, from: 'f', to: 't', token: '' },
  });
  const f = decodeFrame(Buffer.concat([buf, Buffer.from([0x50, 0x2a])])); // + unknown field 10 (varint 42)
  expect(f.batch).toHaveLength(2);
  expect(f.batch[0]).toMatchObject({ kind: EnvelopeKind.ERROR, id: 12345678901, target: '', method: '' });
  expect(unpackValue(f.batch[0]!.value, { owner: null })).toBe('x');
  expect(f.batch[1]).toMatchObject({ kind: EnvelopeKind.TELL, id: 0, target: 'a', method: 'b' });
  expect(f.hello).toEqual({ version: 1, from: 'f', to: 't', token: '' });
  expect(f.ping).toBe(false);
});

test('values: JSON for plain data, tagged JSON and bytes for the rest', () => {
  const plain = packValue({ a: [1, 'x', null, true] }, { refs: false, where: 't' });
  expect(plain[0]).toBe(0x4a);
  for (const v of [new Map([[1, 2]]), undefined, NaN, -0, 10n, [1, undefined], { d: new Date(0) }, new Uint8Array([1])]) {
    const b = packValue(v, { refs: false, where: 't' });
    expect(b[0]).toBe(0x54);
    expect(unpackValue(b, { owner: null })).toEqual(v);
  }
});

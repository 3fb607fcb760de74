/**
 * Envelopes read from a frame keep their payloads where they lie in it: delivery unpacks
 * them in place (unpackArgs, unpackResult, payloadLength), and reading or setting a payload
 * property gives the same bytes as before. And the varints that frame them, at every size.
 */
import {
  EnvelopeKind,
  ReadEnvelope,
  decodeFrame,
  encodeEnvelope,
  encodeFrame,
  packValue,
  payloadLength,
  putVarint,
  unpackArgs,
  unpackResult,
  unpackValue,
  varintSize,
  type Envelope,
  type OutgoingEnvelope,
} from '@tsactor/core/internal';

const opts = { owner: null };

function frameOf(envelopes: Array<Partial<OutgoingEnvelope>>): Envelope[] {
  const batch = envelopes.map((e) =>
    encodeEnvelope({ kind: EnvelopeKind.TELL, id: 0, target: 't', method: 'm', args: null, ctorArgs: null, value: null, sender: '', ...e }),
  );
  return decodeFrame(encodeFrame({ batch })).batch;
}

const values: unknown[] = [[], [1, 'two', null], [{ a: [true, 2.5] }, 'é🎉'], [new Uint8Array([1, 2, 3]), new Date(5)]];

test('the arguments and the answer of each envelope of a frame unpack in place as their bytes do', () => {
  const packed = values.map((v) => packValue(v, { refs: false, where: 'test' }));
  const read = frameOf(
    packed.flatMap((bytes, i) => [
      { kind: EnvelopeKind.ASK, id: i + 1, args: bytes },
      { kind: EnvelopeKind.RESULT, id: i + 1, value: bytes },
    ]),
  );
  expect(read).toHaveLength(packed.length * 2);
  for (let i = 0; i < packed.length; i++) {
    const ask = read[2 * i]!;
    const answer = read[2 * i + 1]!;
    expect(ask).toBeInstanceOf(ReadEnvelope);
    expect(payloadLength(ask)).toBe(packed[i]!.byteLength);
    expect(unpackArgs(ask, opts)).toEqual(values[i]);
    expect(unpackResult(answer, opts)).toEqual(values[i]);
    // the properties give the same bytes, and the same values through unpackValue
    expect(Buffer.from(ask.args!)).toEqual(packed[i]);
    expect(Buffer.from(answer.value!)).toEqual(packed[i]);
    expect(unpackValue(ask.args, opts)).toEqual(values[i]);
    expect(unpackArgs(ask, opts)).toEqual(values[i]);
    expect(payloadLength(ask)).toBe(packed[i]!.byteLength);
    expect(ask.value).toBeNull();
    expect(answer.args).toBeNull();
  }
});

test('absent and empty payloads unpack to undefined; a payload set on a read envelope replaces the one in the frame', () => {
  const [none, empty, ctor] = frameOf([{}, { args: new Uint8Array(0) }, { method: 'spawn', args: '["x"]', ctorArgs: '[1,2]' }]);
  expect(unpackArgs(none!, opts)).toBeUndefined();
  expect(unpackResult(none!, opts)).toBeUndefined();
  expect(payloadLength(none!)).toBe(0);
  expect(unpackArgs(empty!, opts)).toBeUndefined();
  expect(payloadLength(ctor!)).toBe(ctor!.args!.byteLength + ctor!.ctorArgs!.byteLength);
  expect(unpackValue(ctor!.ctorArgs, opts)).toEqual([1, 2]);

  const replaced = frameOf([{ args: '[1]', value: '[2]' }])[0]!;
  replaced.args = packValue(['new', 'args'], { refs: false, where: 'test' });
  replaced.value = null;
  expect(unpackArgs(replaced, opts)).toEqual(['new', 'args']);
  expect(unpackResult(replaced, opts)).toBeUndefined();
  expect(payloadLength(replaced)).toBe(replaced.args.byteLength);
});

test('an envelope that was not read from a frame unpacks from its properties', () => {
  const bytes = packValue([7], { refs: false, where: 'test' });
  const e: Envelope = { kind: EnvelopeKind.ASK, id: 1, target: 't', method: 'm', args: bytes, ctorArgs: null, value: bytes, sender: '' };
  expect(unpackArgs(e, opts)).toEqual([7]);
  expect(unpackResult(e, opts)).toEqual([7]);
  expect(payloadLength(e)).toBe(bytes.byteLength);
});

test('budgets hold for a payload read in place: one over maxMessageBytes is refused as TOO_LARGE', () => {
  const big = frameOf([{ args: packValue(['x'.repeat(2000)], { refs: false, where: 'test' }) }])[0]!;
  expect(() => unpackArgs(big, { owner: null, limits: { maxMessageBytes: 1000 } })).toThrow(/maxMessageBytes/);
});

test('varints of every size around their byte boundaries are measured, written and read back as they are', () => {
  const edges = [
    0,
    1,
    0x7f,
    0x80,
    0x3fff,
    0x4000,
    0x1fffff,
    0x200000,
    0xfffffff,
    0x10000000,
    2 ** 35 - 1,
    2 ** 35,
    Number.MAX_SAFE_INTEGER,
  ];
  for (const n of edges) {
    const buf = Buffer.alloc(16);
    const end = putVarint(buf, 3, n);
    expect(end - 3).toBe(varintSize(n));
    // read back through a frame: an envelope whose id is n
    const [e] = frameOf([{ kind: EnvelopeKind.ASK, id: n }]);
    expect(e!.id).toBe(n);
  }
});

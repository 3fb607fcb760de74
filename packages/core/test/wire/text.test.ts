/**
 * The short-text paths of the codec: names and small JSON values are written and read by a
 * loop, and names read lately come from a small table (wire/frame.ts). Whatever a frame
 * holds, what is read back is what was written.
 */
import fc from 'fast-check';
import { EnvelopeKind, decodeFrame, encodeEnvelope, encodeFrame, packValueText, unpackValue } from '@tsactor/core/internal';

function roundTrip(target: string, method: string, sender: string): { target: string; method: string; sender: string } {
  const frame = encodeFrame({
    batch: [encodeEnvelope({ kind: EnvelopeKind.TELL, id: 0, target, method, args: '[]', ctorArgs: null, value: null, sender })],
  });
  const e = decodeFrame(frame).batch[0]!;
  return { target: e.target, method: e.method, sender: e.sender };
}

/** Names of every length around the limits, ASCII and not. */
function names(): string[] {
  const out: string[] = [];
  for (let len = 1; len <= 70; len++) {
    out.push('a'.repeat(len), 'b'.repeat(len - 1) + 'c', `${len}`.padStart(len, 'x'));
    out.push('é'.repeat(Math.ceil(len / 2)), `${'n'.repeat(len)}🎉`);
  }
  for (let i = 0; i < 3000; i++) out.push(`actor-${i}`, `m${i % 97}`);
  return out;
}

test('names of every length, ASCII or not, many more than the table holds, are read back as written', () => {
  const all = names();
  // twice, the second time in another order: read from the table or decoded, the same text
  for (const order of [all, [...all].reverse()]) {
    for (let i = 0; i < order.length; i++) {
      const t = order[i]!;
      const m = order[(i * 7) % order.length]!;
      expect(roundTrip(t, m, t)).toEqual({ target: t, method: m, sender: t });
    }
  }
});

test('names that differ in one byte only are never taken for each other', () => {
  for (let round = 0; round < 3; round++) {
    for (let c = 0; c < 200; c++) {
      const name = `counter-${String.fromCharCode(33 + (c % 90))}${c}`;
      expect(roundTrip(name, 'inc', '').target).toBe(name);
      const other = name.slice(0, -1) + String.fromCharCode(name.charCodeAt(name.length - 1) ^ 1);
      expect(roundTrip(other, 'inc', '').target).toBe(other);
    }
  }
});

test('names of one length that end alike and differ only at the start are never taken for each other', () => {
  const suffix = '/Counter/shared-suffix';
  for (let round = 0; round < 2; round++) {
    for (let c = 0; c < 120; c++) {
      const name = `${String.fromCharCode(65 + (c % 26))}${String.fromCharCode(97 + ((c / 26) | 0))}${suffix}`;
      expect(roundTrip(name, 'inc', '').target).toBe(name);
    }
  }
});

/** A value through packValueText (JSON text behind its tag, or tagged bytes) and back. */
function back(v: unknown): unknown {
  const text = packValueText(v, { refs: false, where: 'test' });
  return unpackValue(typeof text === 'string' ? Buffer.concat([Buffer.from('J'), Buffer.from(text)]) : text, { owner: null });
}

test('short JSON values, ASCII or not, come back as sent', () => {
  for (const v of [[1], ['é'], ['🎉'], 'ü', { a: 'ß' }, [1, 2, 3, 4, 5, 6, 7], 'x'.repeat(15), 'y'.repeat(17), -0.5, null]) {
    expect(back(v)).toEqual(v);
  }
});

test('argument lists and results of plain primitives are written as JSON.stringify writes them; the rest round-trips', () => {
  const where = { refs: false, where: 'test' } as const;
  for (const v of [[1], [1.5, -2, 1e21, 5e-7], [true, false, null], ['', 'abc', 'a b~'], 42, 'ok', null, true, [], Array(8).fill(7)]) {
    expect(packValueText(v, where)).toBe(JSON.stringify(v));
  }
  // eslint-disable-next-line no-sparse-arrays -- a hole is not plain data
  const holey = [1, , 3];
  for (const v of [
    [-0],
    [NaN],
    [Infinity],
    ['a"b'],
    ['back\\slash'],
    ['tab\t'],
    ['é'],
    ['x'.repeat(40)],
    [undefined],
    holey,
    Array(9).fill(1),
    2n,
  ]) {
    expect(back(v)).toEqual(v);
  }
  expect(Object.is(back(-0), -0)).toBe(true);
  expect(Object.is((back([-0]) as number[])[0], -0)).toBe(true);
});

/** What unpackValue reads from JSON text `text` (the 'J' format), or the error it throws. */
function readJson(text: string): { value: unknown } | { error: true } {
  try {
    return { value: unpackValue(Buffer.concat([Buffer.from('J'), Buffer.from(text)]), { owner: null }) };
  } catch {
    return { error: true };
  }
}

/** What JSON.parse makes of `text`, in the same form. */
function parsed(text: string): { value: unknown } | { error: true } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: true };
  }
}

test('short JSON values read by the codec itself are exactly what JSON.parse reads, and what it refuses is refused', () => {
  for (const text of [
    '0',
    '-0',
    '7',
    '-42',
    '123456789012345',
    '1234567890123456',
    '99999999999999999999',
    '01',
    '-',
    '1.5',
    '1e3',
    '2E-2',
    '12x',
    '""',
    '"a b~"',
    '"a\\"b"',
    '"\u0041"',
    '"tab\t"',
    '"unterminated',
    '[]',
    '[ ]',
    '[1]',
    '[1,2,-3]',
    '[1, 2]',
    '[1,]',
    '[,1]',
    '[1',
    '[[1]]',
    '["a",1,"b"]',
    '[1]x',
    'true',
    '[true,null]',
    '',
  ]) {
    expect({ text, read: readJson(text) }).toEqual({ text, read: parsed(text) });
  }
});

test('any short text of JSON tokens is read as JSON.parse reads it', () => {
  const token = fc.constantFrom('[', ']', ',', '-', '0', '1', '7', '9', '"', 'a', ' ', '.', 'e', '\\', 'x', 'null', 'true');
  const soup = fc.array(token, { maxLength: 24 }).map((t) => t.join(''));
  const lists = fc
    .array(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }), fc.constant(null)), {
      maxLength: 6,
    })
    .map((v) => JSON.stringify(v));
  fc.assert(
    fc.property(fc.oneof(soup, lists), (text) => {
      expect(readJson(text)).toEqual(parsed(text));
    }),
    { numRuns: 3000 },
  );
});

test('an envelope is measured anew when its target or method differs from the last one, even at the same length', () => {
  // same numbers of UTF-16 units, different numbers of UTF-8 bytes
  const targets = ['abc', 'abc', 'éxé', 'éxé', 'abc', 'a🎉', 'abc'];
  const methods = ['run', 'ünd', 'run', 'run', 'ünd', 'ünd', 'run'];
  for (let i = 0; i < targets.length; i++) {
    expect(roundTrip(targets[i]!, methods[i]!, '')).toEqual({ target: targets[i], method: methods[i], sender: '' });
  }
});

/**
 * Property-based fuzzing of frame, envelope and value decoding: for arbitrary bytes and for
 * valid encodings with bytes flipped, cut or inserted, a decoder either returns or throws an
 * ActorError with a known code; it never throws anything else, and what it builds stays
 * within the budgets. The inputs that once found a bug are kept in ./corpus and replayed.
 *
 * The bounded run here checks about 20,000 inputs; `pnpm fuzz --runs N` runs the same
 * properties N times each and also fails an input that takes more than 100 ms.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ActorError, decodeEnvelope, decodeFrame, encodeEnvelope, encodeFrame, packValue, unpackValue } from '@tsactor/core/internal';

const RUNS = Number(process.env.TSACTOR_FUZZ_RUNS ?? 0) || 0;
const LONG = RUNS > 0;
const CODES = new Set(['MALFORMED', 'TOO_LARGE', 'TOO_DEEP', 'BAD_URL']);
const CORPUS = path.join(__dirname, 'corpus');

type Target = 'value' | 'frame' | 'envelope';
type CorpusTarget = Target | 'round-trip';

function decode(target: Target, bytes: Uint8Array): unknown {
  switch (target) {
    case 'value':
      return unpackValue(bytes, { owner: null });
    case 'frame':
      return decodeFrame(bytes);
    case 'envelope':
      return decodeEnvelope(bytes);
  }
}

/** Decodes `bytes`; fails on anything but a result or an ActorError with a known code (and, in long runs, on a slow input). */
function check(target: Target, bytes: Uint8Array): void {
  const start = performance.now();
  try {
    const out = decode(target, bytes);
    if (target === 'frame') expect((out as { batch: unknown[] }).batch.length).toBeLessThanOrEqual(bytes.byteLength);
  } catch (e) {
    if (!(e instanceof ActorError) || !CODES.has(e.code)) {
      throw new Error(`${target} decoding of ${Buffer.from(bytes).toString('hex').slice(0, 400)} threw ${String(e)}`);
    }
  }
  const ms = performance.now() - start;
  if (LONG && ms > 100)
    throw new Error(`${target} decoding took ${ms.toFixed(0)} ms for ${Buffer.from(bytes).toString('hex').slice(0, 400)}`);
}

const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 16 }),
  fc.float64Array({ maxLength: 4 }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj'), tie('map'), tie('set')),
  arr: fc.array(tie('v'), { maxLength: 5 }),
  obj: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', '__tsactor$')), tie('v'), {
    maxKeys: 5,
  }),
  map: fc.array(fc.tuple(tie('v'), tie('v')), { maxLength: 4 }).map((e) => new Map(e)),
  set: fc.array(tie('v'), { maxLength: 4 }).map((e) => new Set(e)),
})).v;

/** A valid encoding with some bytes changed, cut short, or inserted. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([bytes, edits]) => {
      let b = Buffer.from(bytes);
      for (const [at, byte, how] of edits) {
        if (b.length === 0) break;
        const i = at % b.length;
        if (how === 'set') b[i] = byte;
        else if (how === 'cut') b = b.subarray(0, i);
        else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      }
      return b;
    });
}

const packed = value.map((v) => packValue(v, { refs: false, where: 'fuzz' }));
const envelope = fc
  .record({ kind: fc.constantFrom(0, 1, 2, 3, 4, 9), id: fc.nat(), target: fc.string(), method: fc.string(), args: fc.option(packed) })
  .map((e) => encodeEnvelope({ ...e, args: e.args, ctorArgs: null, value: null, sender: '' }));
const frame = fc.array(envelope, { maxLength: 5 }).map((batch) => encodeFrame({ batch, ping: batch.length === 0 }));
const prefixed = fc
  .tuple(fc.constantFrom(0x4a, 0x54, 0xff), fc.uint8Array({ maxLength: 64 }))
  .map(([h, rest]) => Buffer.concat([Buffer.from([h]), rest]));

const runs = (n: number) => ({ numRuns: LONG ? RUNS : n });

describe('fuzzing', () => {
  it('values: arbitrary bytes, bytes behind a format byte, and mutated valid values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (b) => check('value', b)),
      runs(2000),
    );
    fc.assert(
      fc.property(prefixed, (b) => check('value', b)),
      runs(3000),
    );
    fc.assert(
      fc.property(mutated(packed), (b) => check('value', b)),
      runs(5000),
    );
  });

  it('valid values decode to what was sent', () => {
    fc.assert(
      fc.property(value, (v) => {
        const out = unpackValue(packValue(v, { refs: false, where: 'fuzz' }), { owner: null });
        expect(packValue(out, { refs: false, where: 'fuzz' })).toEqual(packValue(v, { refs: false, where: 'fuzz' }));
      }),
      runs(2000),
    );
  });

  it('envelopes: arbitrary and mutated', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (b) => check('envelope', b)),
      runs(2000),
    );
    fc.assert(
      fc.property(mutated(envelope), (b) => check('envelope', b)),
      runs(2000),
    );
  });

  it('frames: arbitrary and mutated', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => check('frame', b)),
      runs(2000),
    );
    fc.assert(
      fc.property(mutated(frame), (b) => check('frame', b)),
      runs(2000),
    );
  });

  it('the corpus of inputs that found bugs', () => {
    const files = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const entry = JSON.parse(fs.readFileSync(path.join(CORPUS, f), 'utf8')) as { target: CorpusTarget; hex: string; code?: string };
      const bytes = Buffer.from(entry.hex, 'hex');
      if (entry.target === 'round-trip') {
        // the bytes of a valid value: decoded and encoded again, they come back the same
        expect(packValue(unpackValue(bytes, { owner: null }), { refs: false, where: 'corpus' })).toEqual(bytes);
        continue;
      }
      const target = entry.target;
      check(target, bytes);
      if (entry.code !== undefined) expect(() => decode(target, bytes)).toThrow(expect.objectContaining({ code: entry.code }) as Error);
    }
  });
});

/** Every value type the network codec carries comes back as it was sent. */
import {
  ActorError,
  ClassRef,
  isProxy,
  makeProxy,
  packValue,
  packValueText,
  unpackValue,
  Actor,
  Ask,
  Ref,
  describe as describeDef,
  getActorDefinition,
  TAG,
} from '@tsactor/core/internal';

@Actor
class Target {
  @Ask @Ref answer(): number {
    return 1;
  }
}

const refs = { refs: true, where: 'Target.answer' } as const;
const back = <T>(v: T): T => unpackValue(packValue(v, refs), { owner: null }) as T;
const backText = <T>(v: T): T => {
  const p = packValueText(v, refs);
  return unpackValue(typeof p === 'string' ? Buffer.concat([Buffer.from('J'), Buffer.from(p)]) : p, { owner: null }) as T;
};

describe.each([
  ['packValue', back],
  ['packValueText', backText],
])('round trips through %s', (_n, rt) => {
  it.each<[string, unknown]>([
    ['plain data', { a: [1, 'x', null, true, { b: 'ü' }], e: {} }],
    ['undefined, NaN, ±Infinity and -0', [undefined, NaN, Infinity, -Infinity, -0, { u: undefined }]],
    ['BigInt', [0n, 1n, -255n, 2n ** 200n, -(2n ** 64n)]],
    ['Date', [new Date(1_700_000_000_000), new Date(-1)]],
    ['RegExp', /ab+c/gi],
    [
      'Map with object keys',
      new Map<unknown, unknown>([
        ['a', 1],
        [{ k: 1 }, new Set([1, 2])],
      ]),
    ],
    ['Set', new Set(['x', 1, null])],
    [
      'typed arrays',
      [new Uint8Array([1, 2]), new Int16Array([-1, 2]), new Float64Array([0.5]), new BigInt64Array([-3n]), new Uint8ClampedArray([255])],
    ],
    ['ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
    ['objects using the tag key', { [TAG]: 'ref', u: 'x', inner: { [TAG]: 'err' } }],
    ['an own __proto__ key', JSON.parse('{"__proto__":{"a":1},"b":2}')],
    ['a holey array (holes arrive as undefined)', [1, , 3]], // eslint-disable-line no-sparse-arrays
  ])('%s', (_name, v) => {
    const out = rt(v);
    if (_name.startsWith('a holey')) expect(out).toEqual([1, undefined, 3]);
    else expect(out).toEqual(v);
    if (_name.startsWith('an own')) expect(Object.getOwnPropertyNames(out)).toEqual(['__proto__', 'b']);
  });

  it('an invalid Date', () => {
    const d = rt(new Date(NaN));
    expect(d).toBeInstanceOf(Date);
    expect(Number.isNaN(d.getTime())).toBe(true);
  });

  it('Buffer and DataView', () => {
    const out = rt({ b: Buffer.from('hello'), d: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2) });
    expect(Buffer.isBuffer(out.b)).toBe(true);
    expect(out.b.toString()).toBe('hello');
    expect(out.d).toBeInstanceOf(DataView);
    expect([out.d.getUint8(0), out.d.getUint8(1)]).toEqual([2, 3]);
  });

  it('errors, proxies and classes', () => {
    const desc = describeDef(getActorDefinition(Target));
    const p = makeProxy({ url: 'local://local:1/t', base: 'local://local:1/', id: 't', desc });
    const out = rt({ p, e: new ActorError('x', { code: 'C', cause: new TypeError('c') }), k: Target, big: 1n });
    expect(isProxy(out.p)).toBe(true);
    expect(out.e).toBeInstanceOf(ActorError);
    expect(out.e.code).toBe('C');
    expect(out.e.cause).toBeInstanceOf(TypeError);
    expect(out.k).toBeInstanceOf(ClassRef);
  });
});

/**
 * The attacks of a hostile peer against the network codec: each must be refused quickly
 * with an ActorError that says which budget or rule it broke, and nothing a peer sends
 * may change a prototype or build an object its class would refuse.
 */
import * as v8 from 'node:v8';
import {
  ActorError,
  ASK,
  TAG,
  decodeFrame,
  encodeEnvelope,
  EnvelopeKind,
  getHandle,
  isProxy,
  packValue,
  registerClass,
  unpackError,
  unpackValue,
  type WireRevivable,
} from '@tsactor/core/internal';

const opts = { owner: null } as const;

function json(text: string): Buffer {
  return Buffer.concat([Buffer.from('J'), Buffer.from(text, 'utf8')]);
}

function refusal(bytes: Uint8Array, o: Parameters<typeof unpackValue>[1] = opts): ActorError {
  try {
    unpackValue(bytes, o);
  } catch (e) {
    expect(e).toBeInstanceOf(ActorError);
    return e as ActorError;
  }
  throw new Error('the value was accepted');
}

/** v8.serialize bytes of an array DAG: each level holds the level below twice (2^depth paths, a few bytes). */
function dag(depth: number): Buffer {
  let v: unknown[] = [];
  for (let i = 0; i < depth; i++) v = [v, v];
  return v8.serialize(v);
}

class Account {
  constructor(
    readonly owner: string,
    readonly amount: number,
  ) {
    if (!(amount >= 0)) throw new RangeError('an account never holds a negative amount');
  }
  static fromWire(f: Record<string, unknown>): Account {
    return new Account(String(f.owner), Number(f.amount));
  }
}
const accountRevivable: WireRevivable<Account> = Account;

class Tag {
  constructor(readonly label: string) {}
  shout(): string {
    return this.label.toUpperCase();
  }
}
registerClass(Account, Tag);

describe('structured-clone bytes are not accepted from peers', () => {
  it.each([28, 40])('an array DAG of depth %i is refused as MALFORMED without being walked', (depth) => {
    const bytes = dag(depth);
    expect(bytes.byteLength).toBeLessThan(400);
    const e = refusal(bytes);
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/unknown value format 0xff/);
  });

  it('a sparse array of length 2^32-1 is refused as MALFORMED', () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const bytes = v8.serialize(sparse);
    expect(bytes.byteLength).toBeLessThan(32);
    expect(refusal(bytes).code).toBe('MALFORMED');
  });
});

describe('budgets', () => {
  it('a frame of 1 MiB of tiny envelopes is refused (TOO_LARGE) instead of becoming 500k objects', () => {
    const frame = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < frame.length; i += 2) frame[i] = 0x0a; // field 1, an empty envelope
    let err: unknown;
    try {
      decodeFrame(frame);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ActorError);
    expect((err as ActorError).code).toBe('TOO_LARGE');
    expect((err as Error).message).toMatch(/more than 65536 envelopes/);
  });

  it('a frame within the envelope budget decodes', () => {
    const env = encodeEnvelope({
      kind: EnvelopeKind.TELL,
      id: 0,
      target: 'a',
      method: 'm',
      args: packValue([1], { refs: false, where: 't' }),
      ctorArgs: null,
      value: null,
      sender: '',
    });
    const entry = Buffer.concat([Buffer.from([0x0a, env.length]), env]);
    const f = decodeFrame(Buffer.concat(Array.from({ length: 100 }, () => entry)), { ...defaultLimits(), maxEnvelopes: 100 });
    expect(f.batch).toHaveLength(100);
    expect(() => decodeFrame(Buffer.concat(Array.from({ length: 101 }, () => entry)), { ...defaultLimits(), maxEnvelopes: 100 })).toThrow(
      /more than 100 envelopes/,
    );
  });

  it('nesting deeper than maxDepth is refused as TOO_DEEP, small or large', () => {
    const small = refusal(json('['.repeat(200) + ']'.repeat(200)));
    expect(small.code).toBe('TOO_DEEP');
    expect(small.message).toMatch(/deeper than 128 levels/);
    // a large input is scanned before JSON.parse builds it
    const large = refusal(json('['.repeat(1_000_000) + ']'.repeat(1_000_000)));
    expect(large.code).toBe('TOO_DEEP');
    expect(unpackValue(json('['.repeat(100) + ']'.repeat(100)), opts)).toBeInstanceOf(Array);
  });

  it('values over the byte, node, array and string budgets are refused as TOO_LARGE', () => {
    const big = packValue('x'.repeat(5 * 1024 * 1024), { refs: false, where: 't' });
    const e = refusal(big);
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/maxMessageBytes/);
    expect(unpackValue(big, { owner: null, limits: { maxMessageBytes: 8 * 1024 * 1024 } })).toHaveLength(5 * 1024 * 1024);

    const many = packValue(
      Array.from({ length: 50 }, () => ({})),
      { refs: false, where: 't' },
    );
    expect(refusal(many, { owner: null, limits: { maxNodes: 10 } }).message).toMatch(/maxNodes/);
    expect(
      refusal(packValue(new Array(50).fill(1), { refs: false, where: 't' }), { owner: null, limits: { maxArrayLength: 10 } }).message,
    ).toMatch(/maxArrayLength/);
    expect(
      refusal(
        packValue(
          new Map([
            [1, 2],
            [3, 4],
          ]),
          { refs: false, where: 't' },
        ),
        { owner: null, limits: { maxArrayLength: 3 } },
      ).code,
    ).toBe('TOO_LARGE');
    expect(
      refusal(packValue({ s: 'y'.repeat(100) }, { refs: false, where: 't' }), { owner: null, limits: { maxStringLength: 10 } }).message,
    ).toMatch(/maxStringLength/);
  });

  it('binary data that points past the value, and unknown tags, are MALFORMED', () => {
    const good = packValue(new Uint8Array([1, 2, 3]), { refs: false, where: 't' });
    expect(refusal(good.subarray(0, good.length - 1)).message).toMatch(/past the end/);
    expect(refusal(json(`{"${TAG}":"bin","k":"Float64Array","o":0,"l":8}`)).code).toBe('MALFORMED');
    expect(refusal(json(`{"${TAG}":"bin","k":"constructor","o":0,"l":0}`)).message).toMatch(/unknown kind/);
    expect(refusal(json(`{"${TAG}":"nope"}`)).message).toMatch(/unknown value tag 'nope'/);
    expect(refusal(json(`{"${TAG}":"big","v":"12x"}`)).code).toBe('MALFORMED');
    expect(refusal(json('{"a":')).code).toBe('MALFORMED');
  });
});

function defaultLimits() {
  return jest.requireActual<typeof import('@tsactor/core/internal')>('@tsactor/core/internal').DEFAULT_WIRE_LIMITS;
}

describe('no key becomes a prototype', () => {
  it('a plain object keeps __proto__, constructor and prototype as its own data', () => {
    const v = unpackValue(json('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"n":{"__proto__":[1]}}'), opts) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(v)).toEqual(['__proto__', 'constructor', 'n']);
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v.n)).toBe(Object.prototype);
  });

  it('an object of a registered class keeps its class prototype whatever its keys', () => {
    const bytes = json(`{"${TAG}":"obj","c":"Tag","v":{"label":"a","__proto__":{"shout":1}}}`);
    const t = unpackValue(bytes, opts) as Tag;
    expect(Object.getPrototypeOf(t)).toBe(Tag.prototype);
    expect(t.shout()).toBe('A');
  });

  it('an error keeps its class prototype whatever its fields', () => {
    const e = unpackValue(json(`{"${TAG}":"err","n":"TypeError","m":"x","p":{"__proto__":{"a":1},"stack":"forged"}}`), opts) as Error;
    expect(Object.getPrototypeOf(e)).toBe(TypeError.prototype);
    expect(e.stack).toBe('TypeError: x');
  });
});

describe('registered classes are rebuilt through their declared path', () => {
  it('fromWire runs the constructor: an account with amount -1e9 is refused', () => {
    expect(accountRevivable.fromWire({ owner: 'o', amount: 1 })).toBeInstanceOf(Account);
    const forged = json(`{"${TAG}":"obj","c":"Account","v":{"owner":"eve","amount":-1e9}}`);
    const e = refusal(forged);
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/Account\.fromWire refused a received value: an account never holds a negative amount/);
    const ok = unpackValue(packValue(new Account('ann', 5), { refs: false, where: 't' }), opts);
    expect(ok).toBeInstanceOf(Account);
    expect(ok).toEqual(new Account('ann', 5));
  });

  it('a class without fromWire gets its prototype and the received fields (its constructor does not run)', () => {
    const t = unpackValue(packValue(new Tag('x'), { refs: false, where: 't' }), opts) as Tag;
    expect(t).toBeInstanceOf(Tag);
    expect(t.shout()).toBe('X');
  });

  it('an unregistered class name arrives as plain data', () => {
    expect(unpackValue(json(`{"${TAG}":"obj","c":"Object","v":{"a":1}}`), opts)).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(unpackValue(json(`{"${TAG}":"obj","c":"toString","v":{"a":1}}`), opts))).toBe(Object.prototype);
  });
});

describe('errors', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'Tag'])('an error named %s decodes as a plain Error', (name) => {
    const e = unpackError(json(`{"${TAG}":"err","n":${JSON.stringify(name)},"m":"boom"}`), opts);
    expect(Object.getPrototypeOf(e)).toBe(Error.prototype);
    expect(e.name).toBe(name);
    expect(e.message).toBe('boom');
  });

  it('a 5 MB stack is refused over the byte budget, and cut at 16 KiB under a larger one', () => {
    const forged = Object.assign(new Error('m'), {});
    Object.defineProperty(forged, 'stack', { value: 'Error: m\n' + '    at x (/srv/secret.js:1:1)\n'.repeat((5 * 1024 * 1024) / 32) });
    const bytes = packValue(forged, { refs: false, where: 't' });
    expect(refusal(bytes).code).toBe('TOO_LARGE');
    const e = unpackError(bytes, { owner: null, limits: { maxMessageBytes: 16 * 1024 * 1024 } });
    expect(e.message).toBe('m');
    expect(e.stack!.length).toBeLessThan(16 * 1024 + 100);
    expect(e.stack).toMatch(/stack cut at 16384 characters/);
  });

  it('known classes keep their class: tsactor errors, built-in errors, registered error classes', () => {
    const e = unpackError(packValue(new RangeError('r'), { refs: false, where: 't' }), opts);
    expect(e).toBeInstanceOf(RangeError);
    const a = unpackError(packValue(new ActorError('a', { code: 'X' }), { refs: false, where: 't' }), opts);
    expect(a).toBeInstanceOf(ActorError);
    expect((a as ActorError).code).toBe('X');
  });
});

describe('received references', () => {
  const ref = (url: string, methods: Record<string, number>, plain?: string[]) =>
    json(JSON.stringify({ [TAG]: 'ref', u: url, d: plain === undefined ? { name: 'A', methods } : { name: 'A', methods, plain } }));

  it('a reference with ordinary methods becomes a working proxy', () => {
    const p = unpackValue(ref('local://local:1/a', { count: ASK }), opts) as { count(): unknown; getUrl(): string };
    expect(isProxy(p)).toBe(true);
    expect(p.getUrl()).toBe('local://local:1/a');
    expect(typeof p.count).toBe('function');
    expect(getHandle(p)!.addr.desc.methods).toEqual({ count: ASK });
  });

  it.each([
    'then',
    'constructor',
    '__proto__',
    'prototype',
    'getId',
    'getUrl',
    'equals',
    'toString',
    'withTimeout',
    'valueOf',
    'a-b',
    '1x',
    '',
  ])('a method named %j is refused as MALFORMED', (name) => {
    const e = refusal(ref('local://local:1/a', { [name]: ASK }));
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/cannot be a proxy method/);
    expect(refusal(ref('local://local:1/a', { ok: ASK }, [name])).code).toBe('MALFORMED');
  });

  it('flags that are not those of a @Tell or @Ask method are refused', () => {
    expect(refusal(ref('local://local:1/a', { m: 3 })).message).toMatch(/flags of method 'm'/);
    expect(refusal(ref('local://local:1/a', { m: 64 | ASK })).code).toBe('MALFORMED');
  });

  it('a URL whose scheme no transport serves is refused', () => {
    const e = refusal(ref('evil://10.0.0.1:1/a', { m: ASK }));
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/scheme 'evil:\/\/'/);
    expect(refusal(ref('not a url', { m: ASK })).code).toBe('BAD_URL');
  });
});

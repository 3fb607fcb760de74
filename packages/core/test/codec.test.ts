import * as v8 from 'node:v8';
import {
  Actor,
  ActorError,
  Ask,
  ClassRef,
  HostDownError,
  NotFoundError,
  Ref,
  TAG,
  Tell,
  decodeValue,
  encodeValue,
  getHandle,
  isProxy,
  makeProxy,
  registerClass,
  type ActorAddress,
  type ActorDescription,
  type Proxy,
} from '@tsactor/core/internal';

@Actor
class Target {
  @Tell poke(): void {}
  @Ask @Ref answer(): number {
    return 1;
  }
  helper(): void {}
}

class Money {
  constructor(
    readonly amount: bigint,
    readonly currency: string,
  ) {}
  format(): string {
    return `${this.amount} ${this.currency}`;
  }
}

class Unnamed extends Error {
  constructor(
    message: string,
    readonly extra: number,
  ) {
    super(message);
  }
  twice(): number {
    return this.extra * 2;
  }
}

class Named extends Error {
  override name = 'Named';
}

class NotRegistered {
  constructor(readonly v: number) {}
  get double(): number {
    return this.v * 2;
  }
}

registerClass(Money, Unnamed, Named);

const desc: ActorDescription = { name: 'Target', methods: { poke: 1, answer: 2 | 4 }, plain: ['helper'] };

function proxyAt(url: string): Proxy<Target> {
  const m = /^(.*\/)([^/]*)$/.exec(url)!;
  const addr: ActorAddress = { url, base: m[1]!, id: m[2]!, desc };
  return makeProxy<Target>(addr, { timeout: 3 });
}

const refs = { refs: true, where: 'Target.answer' } as const;
const noRefs = { refs: false, where: 'Target.poke' } as const;

const carriers: Array<[string, (v: unknown) => unknown]> = [
  ['structuredClone', (v) => structuredClone(v)],
  ['v8.serialize', (v) => v8.deserialize(v8.serialize(v)) as unknown],
];

describe.each(carriers)('codec round trip through %s', (_name, carry) => {
  const roundTrip = <T>(value: T, opts: { refs: boolean; where: string } = refs): T =>
    decodeValue(carry(encodeValue(value, opts)), { owner: null, timeout: 5 }) as T;

  it('keeps Map, Set, Date, BigInt, RegExp, typed arrays and nested plain data', () => {
    const value = {
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: [3n] }],
      ]),
      set: new Set(['x', 'y']),
      date: new Date(1_700_000_000_000),
      big: 12345678901234567890n,
      re: /ab+c/gi,
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5, -1]),
      nested: { deep: [[{ n: null, u: undefined, nan: NaN, inf: -Infinity }]] },
    };
    expect(roundTrip(value)).toEqual(value);
  });

  it('keeps a Buffer as a Buffer, copying only its bytes (not the shared pool)', () => {
    const b = Buffer.from('hello');
    expect(b.buffer.byteLength).toBeGreaterThan(b.byteLength); // a pooled Buffer
    const encoded = encodeValue({ b }, refs) as { b: { v: Uint8Array } };
    expect(encoded.b.v.buffer.byteLength).toBe(5);
    const out = roundTrip({ b });
    expect(Buffer.isBuffer(out.b)).toBe(true);
    expect(out.b.toString()).toBe('hello');
  });

  it('turns proxies nested in arrays, objects, Maps and Sets into working proxies under @Ref', () => {
    const a = proxyAt('local://local:1/a');
    const b = proxyAt('local://local:1/b');
    const out = roundTrip({ list: [a, { b }], map: new Map([['k', a]]), set: new Set([b]) });
    expect(isProxy(out.list[0])).toBe(true);
    expect(out.list[0]).not.toBe(a);
    expect((out.list[0] as Proxy<Target>).equals(a)).toBe(true);
    expect((out.list[1] as { b: Proxy<Target> }).b.getUrl()).toBe('local://local:1/b');
    expect(out.map.get('k')!.getId()).toBe('a');
    const [fromSet] = [...out.set];
    expect(fromSet!.equals(b)).toBe(true);
    // the description travels: asks, tells and the plain method's explaining error
    expect(typeof out.map.get('k')!.answer).toBe('function');
    expect(() => (out.map.get('k') as unknown as { helper(): void }).helper()).toThrow(/neither @Tell nor @Ask/);
    // the decoding side's timeout applies
    expect(getHandle(out.list[0])!.timeout).toBe(5);
  });

  it('refuses a proxy outside @Ref, naming the method and @Ref', () => {
    const a = proxyAt('local://local:1/a');
    for (const v of [a, [a], { x: { y: a } }, new Map([[1, a]])]) {
      expect(() => encodeValue(v, noRefs)).toThrow(ActorError);
      expect(() => encodeValue(v, noRefs)).toThrow(/Target\.poke.*@Ref/);
    }
    try {
      encodeValue(a, noRefs);
    } catch (e) {
      expect((e as ActorError).code).toBe('REF_REQUIRED');
    }
  });

  it('refuses functions, symbols and promises with NOT_SERIALIZABLE', () => {
    function namedFn(): void {}
    const cases: Array<[unknown, RegExp]> = [
      [namedFn, /function \(namedFn\)/],
      [{ cb: () => 1 }, /function/],
      [[Symbol('s')], /symbol/],
      [{ p: Promise.resolve(1) }, /Promise/],
    ];
    for (const [v, re] of cases) {
      let err: unknown;
      try {
        encodeValue(v, refs);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ActorError);
      expect((err as ActorError).code).toBe('NOT_SERIALIZABLE');
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toContain('Target.answer');
    }
  });

  it('refuses cyclic values instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => encodeValue(a, refs)).toThrow(/cyclic/);
  });

  it('sends an @Actor class as a ClassRef with its name and source file', () => {
    const out = roundTrip({ klass: Target });
    expect(out.klass).toBeInstanceOf(ClassRef);
    expect((out.klass as unknown as ClassRef).name).toBe('Target');
    expect((out.klass as unknown as ClassRef).source).toBe(__filename);
  });

  it('rebuilds errors with class, name, message, stack, code, cause and custom fields', () => {
    const cause = new RangeError('inner');
    const e = Object.assign(new TypeError('outer', { cause }), { status: 418, info: { tags: ['a'] } });
    const out = roundTrip(e);
    expect(out).toBeInstanceOf(TypeError);
    expect(out.name).toBe('TypeError');
    expect(out.message).toBe('outer');
    expect(out.stack).toBe(e.stack);
    expect(out.cause).toBeInstanceOf(RangeError);
    expect((out.cause as Error).message).toBe('inner');
    expect(out).toMatchObject({ status: 418, info: { tags: ['a'] } });

    const nf = roundTrip(new NotFoundError('gone'));
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf).toBeInstanceOf(ActorError);
    expect(nf.code).toBe('NOT_FOUND');
    expect(nf.name).toBe('NotFoundError');

    const agg = roundTrip(new AggregateError([new HostDownError('a'), new Error('b')], 'many'));
    expect(agg).toBeInstanceOf(AggregateError);
    expect(agg.errors[0]).toBeInstanceOf(HostDownError);
    expect((agg.errors[1] as Error).message).toBe('b');
  });

  it('rebuilds an error of an unknown class as an Error with the same name, message and stack', () => {
    class Unknown extends Error {
      override name = 'Unknown';
    }
    const e = new Unknown('who');
    const out = roundTrip(e);
    expect(out).toBeInstanceOf(Error);
    expect(out).not.toBeInstanceOf(Unknown);
    expect(out.name).toBe('Unknown');
    expect(out.message).toBe('who');
    expect(out.stack).toBe(e.stack);
  });

  it('keeps the class of registered errors, with or without their own name', () => {
    const u = roundTrip(new Unnamed('u', 21));
    expect(u).toBeInstanceOf(Unnamed);
    expect(u.name).toBe('Error');
    expect(u.message).toBe('u');
    expect(u.twice()).toBe(42);
    const n = roundTrip(new Named('n'));
    expect(n).toBeInstanceOf(Named);
    expect(n.name).toBe('Named');
  });

  it('keeps the class of registered message classes; others arrive as plain data', () => {
    const out = roundTrip({ m: new Money(5n, 'EUR'), list: [new Money(1n, 'USD')] });
    expect(out.m).toBeInstanceOf(Money);
    expect(out.m.format()).toBe('5 EUR');
    expect(out.list[0]!.format()).toBe('1 USD');
    const plain = roundTrip(new NotRegistered(4));
    expect(plain).not.toBeInstanceOf(NotRegistered);
    expect(plain).toEqual({ v: 4 });
  });

  it('escapes user objects that use the tag key, and keeps them as they were', () => {
    const tricky = { [TAG]: 'ref', u: 'local://local:1/x', d: desc, inner: { [TAG]: 'err', n: 'X' } };
    const out = roundTrip({ tricky, list: [{ [TAG]: 'esc', v: 1 }] });
    expect(out).toEqual({ tricky, list: [{ [TAG]: 'esc', v: 1 }] });
    expect(isProxy(out.tricky)).toBe(false);
  });
});

describe('codec', () => {
  it('passes plain data through without copying it', () => {
    const v = { a: [1, 'x', { b: true }], m: new Map([['k', 1]]) };
    expect(encodeValue(v, refs)).toBe(v);
  });

  it('refuses a malformed tag when decoding with a MALFORMED ActorError', () => {
    expect(() => decodeValue({ [TAG]: 'nope' }, { owner: null })).toThrow(/unknown value tag 'nope'/);
  });

  it('registerClass refuses anonymous classes and non-functions', () => {
    expect(() => registerClass((() => class {})())).toThrow(TypeError);
    expect(() => registerClass(42 as unknown as Function)).toThrow(TypeError);
  });
});

/**
 * Payloads across a grpc:// connection (two network hosts of this process, which talk
 * over the transport as two processes would): text, binary data, Map, Set, Date, BigInt,
 * nested proxies; order of a tell followed by an ask; 100,000 pipelined asks.
 */
import { Actor, Ask, Tell, Ref, ActorBase, createHost, shutdown, type HostProxy, type Proxy } from 'tsactor';
import { freePort } from './helpers';

@Actor
class Store extends ActorBase {
  private readonly seen: unknown[] = [];

  @Ask
  echo<T>(x: T): T {
    return x;
  }

  @Ask
  describeValue(x: unknown): string {
    if (x instanceof Map) return `Map(${x.size})`;
    if (x instanceof Set) return `Set(${x.size})`;
    if (x instanceof Date) return `Date(${x.toISOString()})`;
    if (Buffer.isBuffer(x)) return `Buffer(${x.length})`;
    if (x instanceof Uint8Array) return `Uint8Array(${x.length})`;
    return typeof x;
  }

  @Tell
  note(x: unknown): void {
    this.seen.push(x);
  }

  @Ask
  count(): number {
    return this.seen.length;
  }

  @Ask
  @Ref
  keep(tree: unknown): unknown {
    return tree;
  }

  @Ask
  @Ref
  async callInside(tree: { list: Array<Proxy<Store>>; map: Map<string, Proxy<Store>> }): Promise<string[]> {
    const out: string[] = [];
    for (const p of tree.list) out.push(await p.whoAmI());
    for (const p of tree.map.values()) out.push(await p.whoAmI());
    return out;
  }

  @Ask
  whoAmI(): string {
    return this.id;
  }

  @Ask
  double(i: number): { i: number; twice: number; tag: string } {
    return { i, twice: i * 2, tag: `#${i}` };
  }
}

let client: HostProxy;
let remote: HostProxy;
let store: Proxy<Store>;

beforeAll(async () => {
  client = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const serverUrl = `grpc://127.0.0.1:${await freePort()}/`;
  await createHost(serverUrl);
  remote = await client.lookupUrl<HostProxy>(serverUrl);
  store = await remote.spawn('store', Store);
});
afterAll(() => shutdown());

test('the store lives on the other host', () => {
  expect(store.getUrl()).not.toContain(client.getUrl());
});

test('text: non-ASCII, emoji, lone surrogates, empty and long strings', async () => {
  for (const s of ['', 'ñandú ü ß 東京 Ελλάδα', 'emoji 🎉👩‍👩‍👧', 'lone \ud800 surrogate', 'x'.repeat(100_000), 'line\nbreak\u0000nul']) {
    expect(await store.echo(s)).toBe(s);
  }
});

test('binary data: Uint8Array and Buffer keep their type and bytes', async () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  const u = (await store.echo(bytes)) as Uint8Array;
  expect(u).toBeInstanceOf(Uint8Array);
  expect(Buffer.isBuffer(u)).toBe(false);
  expect([...u]).toEqual([...bytes]);
  expect(await store.describeValue(bytes)).toBe('Uint8Array(256)');
  const buf = Buffer.from('binary \x00\xff data', 'latin1');
  const b = (await store.echo(buf)) as Buffer;
  expect(Buffer.isBuffer(b)).toBe(true);
  expect(b.equals(buf)).toBe(true);
  expect(await store.describeValue(buf)).toBe(`Buffer(${buf.length})`);
  const slice = Buffer.from('0123456789').subarray(3, 6);
  expect(String(await store.echo(slice))).toBe('345');
  expect(await store.echo(new Float64Array([1.5, -0, NaN]))).toEqual(new Float64Array([1.5, -0, NaN]));
});

test('Map, Set, Date, BigInt, undefined, NaN, -0, Infinity and nesting', async () => {
  const m = new Map<unknown, unknown>([
    ['a', 1],
    [2, { deep: new Set([1, 'two', 3n]) }],
  ]);
  const back = await store.echo(m);
  expect(back).toBeInstanceOf(Map);
  expect(back).toEqual(m);
  expect(await store.describeValue(m)).toBe('Map(2)');
  const s = new Set(['x', 'y']);
  expect(await store.echo(s)).toEqual(s);
  expect(await store.describeValue(s)).toBe('Set(2)');
  const d = new Date('2024-02-29T12:34:56.789Z');
  const dBack = (await store.echo(d)) as Date;
  expect(dBack).toBeInstanceOf(Date);
  expect(dBack.getTime()).toBe(d.getTime());
  expect(await store.describeValue(d)).toBe('Date(2024-02-29T12:34:56.789Z)');
  expect(await store.echo(12345678901234567890123n)).toBe(12345678901234567890123n);
  expect(await store.echo(undefined)).toBeUndefined();
  expect(await store.echo([undefined, null, NaN, -0, Infinity])).toEqual([undefined, null, NaN, -0, Infinity]);
  expect(Object.is(await store.echo(-0), -0)).toBe(true);
  expect(await store.echo({ a: [1, { b: [2, { c: 'd' }] }] })).toEqual({ a: [1, { b: [2, { c: 'd' }] }] });
});

test('nested proxies in @Ref methods travel as references both ways, with equals() holding', async () => {
  const a = await remote.spawn('ra', Store);
  const b = await client.spawn('rb', Store); // lives on the calling host
  const tree = { list: [a, b], map: new Map([['b', b]]), obj: { inner: [a] } };
  const back = (await store.keep(tree)) as typeof tree;
  expect(back.list[0]!.equals(a)).toBe(true);
  expect(back.list[1]!.equals(b)).toBe(true);
  expect(back.map.get('b')!.equals(b)).toBe(true);
  expect(back.obj.inner[0]!.equals(a)).toBe(true);
  // the remote actor calls both, one on its own host and one back on ours
  expect(await store.callInside(tree)).toEqual(['ra', 'rb', 'rb']);
});

test('a tell followed by an ask from the same sender is handled in that order', async () => {
  const base = await store.count();
  const checks: Array<Promise<void>> = [];
  for (let i = 1; i <= 2000; i++) {
    store.note(i);
    const want = base + i;
    checks.push(store.count().then((n) => expect(n).toBe(want)));
  }
  await Promise.all(checks);
});

test('100,000 pipelined asks each get their own answer', async () => {
  const N = 100_000;
  const s = store.withTimeout(120);
  const futures = new Array(N);
  for (let i = 0; i < N; i++) futures[i] = s.double(i);
  const answers = await Promise.all(futures);
  let wrong = 0;
  for (let i = 0; i < N; i++) {
    const a = answers[i] as { i: number; twice: number; tag: string };
    if (a.i !== i || a.twice !== 2 * i || a.tag !== `#${i}`) wrong++;
  }
  expect(wrong).toBe(0);
}, 120_000);

/**
 * Type tests: compiled by `tsc -p tsconfig.test.json` in the test run, never executed (jest
 * ignores *.types.test.ts). Every `@ts-expect-error` must be an error, and every
 * assignment below must compile.
 */
import { ActorBase, Future, type HostProxy, type Proxy } from '@tsactor/core/internal';

/** Exact type equality, for checks that assignability alone would let through. */
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_ok?: T): void {}

class Counter extends ActorBase {
  private hidden = 0;
  count = 0;
  tell(n: number): void {
    this.count += n;
  }
  get(): number {
    return this.count;
  }
  async later(label: string, times?: number): Promise<string[]> {
    return Array.from({ length: times ?? 1 }, () => label);
  }
  fail(): never {
    throw new Error('always');
  }
  async asyncTell(): Promise<void> {}
  self(): Proxy<Counter> {
    // inside the class, `this.proxy` (a Proxy<this>) is a Proxy<Counter>
    return this.proxy;
  }
  give(other: Proxy<Other>): void {
    other.take(this.proxy);
    other.takeMany([this.proxy], { c: this.proxy });
  }
}

class Other {
  take(_c: Proxy<Counter>): void {}
  takeMany(_list: Array<Proxy<Counter>>, _map: Record<string, Proxy<Counter>>): void {}
  echo<T>(v: T): T {
    return v;
  }
}

declare const p: Proxy<Counter>;
declare const o: Proxy<Other>;
declare const host: HostProxy;

// ---- tells return void, asks return a Future of their awaited result
const t: void = p.tell(1);
assertType<Equals<ReturnType<typeof p.tell>, void>>();
assertType<Equals<ReturnType<typeof p.get>, Future<number>>>();
assertType<Equals<ReturnType<typeof p.later>, Future<string[]>>>();
assertType<Equals<ReturnType<typeof p.fail>, Future<never>>>();
assertType<Equals<ReturnType<typeof p.asyncTell>, Future<void>>>();
assertType<Equals<ReturnType<typeof p.self>, Future<Proxy<Counter>>>>();

async function awaits(): Promise<void> {
  const n: number = await p.get();
  const list: string[] = await p.later('x', 2);
  const viaResult: number = await p.get().result(1);
  const err: Error | null = await p.get().exception();
  const done: boolean = p.get().done() && p.get().running();
  const self: Proxy<Counter> = await p.self();
  // @ts-expect-error an ask's result is not a string
  const wrong: string = await p.get();
  [n, list, viaResult, err, done, self, wrong, t];
}

// ---- arguments are checked
// @ts-expect-error wrong argument type
p.tell('1');
// @ts-expect-error missing argument
p.tell();
// @ts-expect-error too many arguments
p.get(1);
// @ts-expect-error wrong type of an optional argument
p.later('x', 'twice');
p.later('x');
// @ts-expect-error a proxy of another class where a Proxy<Counter> is expected
o.take(o);
o.take(p);

// ---- unknown methods, fields and private members are errors
// @ts-expect-error no such method
p.nothing();
// @ts-expect-error a field is not callable through a proxy
p.count();
// @ts-expect-error private members are not part of the proxy
p.hidden;
// @ts-expect-error the actor fields are not proxy methods
p.proxy.get();

// ---- what every proxy has
const id: string = p.getId();
const url: string = p.getUrl();
const same: boolean = p.equals(o);
const text: string = p.toString();
[id, url, same, text];

// ---- withTimeout keeps the type
const bounded: Proxy<Counter> = p.withTimeout(0.5);
const forever: Proxy<Counter> = p.withTimeout(null);
assertType<Equals<typeof bounded, Proxy<Counter>>>();
assertType<Equals<ReturnType<typeof bounded.get>, Future<number>>>();
// @ts-expect-error seconds, not a string
p.withTimeout('1');
// @ts-expect-error withTimeout keeps the class: no new methods appear
bounded.nothing();
forever;

// ---- HostProxy
assertType<Equals<ReturnType<typeof host.spawn<Counter>>, Future<Proxy<Counter>>>>();
async function hosts(): Promise<void> {
  const c: Proxy<Counter> = await host.spawn('c1', Counter);
  const inferred = await host.spawn('c2', Counter);
  assertType<Equals<typeof inferred, Proxy<Counter>>>();
  const byName = await host.spawn<Counter>('c3', 'counters/Counter');
  const n: number = await byName.get();
  const looked: Proxy<Other> = await host.lookup<Other>('o1');
  const byUrl = await host.lookupUrl('local://local:1/c1', Counter);
  assertType<Equals<typeof byUrl, Proxy<Counter>>>();
  const remoteHost: HostProxy = await host.lookupUrl<HostProxy>('grpc://127.0.0.1:1277/');
  const untyped = await host.lookupUrl('grpc://127.0.0.1:1277/x');
  untyped.anything(1, 2);
  const exists: boolean = await host.hasActor('c1');
  const stopped: void = await host.stopActor('c1');
  const h2: HostProxy = host.withTimeout(1);
  // @ts-expect-error spawn needs an actor class or 'module/Class'
  host.spawn('c4', 42);
  // @ts-expect-error the id is a string
  host.lookup(1);
  [c, inferred, n, looked, byUrl, remoteHost, exists, stopped, h2];
}

[awaits, hosts];

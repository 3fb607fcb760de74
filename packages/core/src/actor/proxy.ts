/**
 * Proxies: typed local views of an actor reference. A proxy is an object whose prototype
 * is made once per actor description; its methods send tells and asks through the channel
 * the router resolves for the actor's URL.
 */
import { ActorError } from '../errors';
import { Future } from '../future';
import type { ActorAddress, ActorChannel } from '../channel';
import { currentCell } from './current';
import { ActorCell } from './cell';
import { ASK, AT_ONCE, REF, TELL, RESERVED_PROXY_NAMES, type ActorDefinition, type ActorDescription, methodKind } from './metadata';

/**
 * A proxy method: tells (declared to return void) return void, asks return a Future. A
 * method declared to return `never` (one that always throws) is an ask: Future<never>.
 * A member that is not a method maps to `unknown`, which cannot be called. In a Proxy<any>
 * (an untyped lookup) every member can be called.
 */
export type ProxyMethod<F> = 0 extends 1 & F
  ? AnyMethod
  : F extends (...args: infer A) => infer R
    ? [R] extends [never]
      ? (...args: A) => Future<never>
      : [R] extends [void]
        ? (...args: A) => void
        : (...args: A) => Future<Awaited<R>>
    : unknown;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = (...args: any[]) => any;

/** The fields every actor gets (ActorBase): not proxy members, and not looked into (`proxy` is a Proxy of the class itself). */
type ActorFieldKeys = 'id' | 'url' | 'proxy' | 'host';

/** What every proxy has, whatever its actor. */
export interface ProxyBase<T> {
  /** the actor's id on its host */
  getId(): string;
  /** the actor's URL */
  getUrl(): string;
  /** true when `other` is a proxy to the same actor (the same URL) */
  equals(other: unknown): boolean;
  toString(): string;
  /** the same actor with another ask timeout in seconds (null: wait forever) */
  withTimeout(seconds: number | null): Proxy<T>;
}

/**
 * A typed proxy to an actor of class T: every method of T, with asks returning a Future of
 * their result and tells returning void. Calling a method that is neither `@Tell` nor `@Ask`
 * throws.
 *
 * The mapped type is homomorphic (over `keyof T`, without key remapping) so that inside an
 * actor class `this.proxy` (a `Proxy<this>`) is assignable to `Proxy<ThatClass>`; members
 * that are not methods map to `unknown` (not callable) and actor fields to `never`.
 */
export type Proxy<T> = {
  readonly [K in keyof T]-?: K extends ActorFieldKeys ? never : K extends keyof ProxyBase<T> ? unknown : ProxyMethod<T[K]>;
} & ProxyBase<T>;

/** @internal the state behind a proxy object */
export interface ProxyHandle {
  readonly addr: ActorAddress;
  readonly timeout: number | null;
  /** the actor this proxy belongs to (its futures call back into it) */
  readonly owner: ActorCell | null;
  channel: ActorChannel | null;
  /** the sending host the cached channel was resolved for (null: code outside actors) */
  from: string | null;
}

/** The symbol under which a proxy keeps its handle. */
export const PROXY = Symbol.for('tsactor.proxy');

/** Resolves the channel to an actor, for a sender on host `from` (null: code outside actors). */
export type Resolver = (addr: ActorAddress, from: string | null) => ActorChannel;
let resolve: Resolver = () => {
  throw new ActorError('tsactor is not initialised: import it from "tsactor"');
};

/** @internal installs the router's resolver */
export function setResolver(r: Resolver): void {
  resolve = r;
}

function channelOf(h: ProxyHandle, sender: ActorCell | null): ActorChannel {
  const from = sender === null ? null : sender.hostBase;
  let ch = h.channel;
  if (ch === null || !ch.alive || h.from !== from) {
    ch = h.channel = resolve(h.addr, from);
    h.from = from;
  }
  return ch;
}

/**
 * Sends a tell through a proxy handle. `flags` and `fn`: the method's flags and function in
 * the proxy's description, if known (an actor on this thread whose definition that is needs
 * no lookup of them).
 */
export function sendTell(h: ProxyHandle, method: string, args: unknown[], flags?: number, fn?: Function): void {
  const ch = channelOf(h, currentCell() ?? h.owner);
  if (ch instanceof ActorCell) {
    if (h.addr.desc === ch.def) ch.deliver(method, args, null, flags, fn);
    else ch.deliver(method, args, null, undefined);
  } else ch.send(h.addr, method, args, null);
}

/**
 * A tell from a proxy method: `payload` is the one argument itself when `one`, else the array
 * of the arguments. One function for every arity, called from one place, and small: the
 * optimizing compiler inlines a bounded amount of code into the actor method that sends, and
 * the whole way to the receiver's mailbox should fit, whatever arities the program uses.
 */
function tellFromProxy(h: ProxyHandle, method: string, payload: unknown, one: boolean, flags: number, fn: Function | undefined): void {
  const ch = channelOf(h, currentCell() ?? h.owner);
  // the actor's own definition, no @Ref argument to re-make: straight to its mailbox
  if (ch instanceof ActorCell && h.addr.desc === ch.def && fn !== undefined && (flags & REF) === 0) ch.tellKnown(method, payload, one, fn);
  else tellOther(h, ch, method, payload, one, flags, fn);
}

/** {@link tellFromProxy} to another thread or host, by a description that is not the actor's definition, or with arguments to re-make. */
function tellOther(
  h: ProxyHandle,
  ch: ActorChannel,
  method: string,
  payload: unknown,
  one: boolean,
  flags: number,
  fn: Function | undefined,
): void {
  if (ch instanceof ActorCell) {
    // the flags and function of the proxy's description are the actor's own when it is that actor's definition
    const own = h.addr.desc === ch.def;
    if (one) ch.tell1(method, payload, own ? flags : undefined, own ? fn : undefined);
    else ch.deliver(method, payload as unknown[], null, own ? flags : undefined, own ? fn : undefined);
  } else ch.send(h.addr, method, one ? [payload] : (payload as unknown[]), null);
}

/** Sends an ask through a proxy handle (`flags` as in {@link sendTell}). */
export function sendAsk<R>(h: ProxyHandle, method: string, args: unknown[], flags?: number): Future<R> {
  const sender = currentCell() ?? h.owner;
  const ch = channelOf(h, sender);
  if (ch instanceof ActorCell) {
    const f = new Future<R>(h.addr.url, method, h.timeout, sender);
    // the actor's own definition, no @Ref argument to re-make, not run at once: straight to its mailbox
    if (h.addr.desc === ch.def && flags !== undefined && (flags & (REF | AT_ONCE)) === 0) ch.askKnown(method, args, f);
    else ch.deliver(method, args, f, h.addr.desc === ch.def ? flags : undefined);
    // answered on this stack (a spawn or lookup the host ran at once): cheaper to await
    return f._asMade();
  }
  const f =
    ch.future === undefined
      ? new Future<R>(h.addr.url, method, h.timeout, sender)
      : (ch.future(h.addr, method, h.timeout, sender) as Future<R>);
  ch.send(h.addr, method, args, f);
  return f;
}

interface ProxyObject {
  [PROXY]: ProxyHandle;
}

const base = {
  getId(this: ProxyObject): string {
    return this[PROXY].addr.id;
  },
  getUrl(this: ProxyObject): string {
    return this[PROXY].addr.url;
  },
  equals(this: ProxyObject, other: unknown): boolean {
    const h = getHandle(other);
    return h !== undefined && h.addr.url === this[PROXY].addr.url;
  },
  toString(this: ProxyObject): string {
    const a = this[PROXY].addr;
    return `Proxy(${a.desc.name} ${a.url})`;
  },
  withTimeout(this: ProxyObject, seconds: number | null): unknown {
    if (seconds !== null && !(typeof seconds === 'number' && seconds >= 0 && Number.isFinite(seconds))) {
      throw new TypeError(`withTimeout(seconds): expected a non-negative number of seconds or null, got ${String(seconds)}`);
    }
    const h = this[PROXY];
    return makeProxy(h.addr, { timeout: seconds, owner: h.owner });
  },
  [Symbol.for('nodejs.util.inspect.custom')](this: ProxyObject): string {
    return base.toString.call(this);
  },
};

/**
 * The arguments of every call made with none: one shared, frozen array (receivers spread
 * arguments into the method or copy them; none writes to them).
 */
const NO_ARGS = Object.freeze([]) as unknown as unknown[];

function argsOf(a: IArguments): unknown[] {
  const n = a.length;
  if (n === 0) return NO_ARGS;
  const args = new Array<unknown>(n);
  for (let i = 0; i < n; i++) args[i] = a[i];
  return args;
}

const prototypes = new WeakMap<ActorDescription, object>();

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * True when `name` can be a method of a proxy: an identifier that is neither one of the
 * proxy's own members (getId, getUrl, equals, toString, withTimeout), nor `then` (a proxy is
 * not a thenable), nor a member of Object.prototype (`constructor`, `__proto__`, `valueOf` ...),
 * nor `prototype`. Descriptions received from other threads and hosts are checked with it.
 */
export function isProxyMethodName(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED_PROXY_NAMES.has(name) && !(name in Object.prototype) && name !== 'prototype';
}

/** the description of the last proxy made (proxies come in runs of one kind), and its prototype */
let lastDesc: ActorDescription | null = null;
let lastProto: object | null = null;

function prototypeFor(desc: ActorDescription): object {
  if (desc === lastDesc) return lastProto!;
  let proto = prototypes.get(desc);
  if (proto !== undefined) {
    lastDesc = desc;
    return (lastProto = proto);
  }
  proto = Object.create(base) as object;
  for (const name of Object.keys(desc.methods)) {
    // a description that did not come from a decorated class may name anything: such names
    // never shadow the proxy's own members or make it a thenable
    if (!isProxyMethodName(name)) continue;
    const flags = desc.methods[name]!;
    // the method itself when the description is a class's definition (a tell to an actor of that class calls it)
    const method = (desc as Partial<ActorDefinition>).fns?.[name];
    // a call without arguments allocates nothing for them (see NO_ARGS)
    const fn =
      flags & ASK
        ? function (this: ProxyObject) {
            // eslint-disable-next-line prefer-rest-params
            return sendAsk(this[PROXY], name, argsOf(arguments), flags);
          }
        : function (this: ProxyObject, a0?: unknown): void {
            const one = arguments.length === 1;
            // eslint-disable-next-line prefer-rest-params
            tellFromProxy(this[PROXY], name, one ? a0 : argsOf(arguments), one, flags, method);
          };
    Object.defineProperty(fn, 'name', { value: name });
    Object.defineProperty(proto, name, { value: fn, enumerable: false, writable: false });
  }
  for (const name of desc.plain ?? []) {
    if (name in proto || !isProxyMethodName(name)) continue;
    Object.defineProperty(proto, name, {
      value() {
        throw new ActorError(
          `${desc.name}.${name}() is neither @Tell nor @Ask, so it cannot be called through a proxy; decorate it with @Tell or @Ask`,
          { code: 'NOT_AN_ACTOR_METHOD' },
        );
      },
    });
  }
  prototypes.set(desc, proto);
  return proto;
}

/** Makes a proxy for an actor address. */
export function makeProxy<T = unknown>(addr: ActorAddress, opts: { timeout?: number | null; owner?: ActorCell | null } = {}): Proxy<T> {
  const p = Object.create(prototypeFor(addr.desc)) as ProxyObject;
  p[PROXY] = {
    addr,
    timeout: opts.timeout === undefined ? 10 : opts.timeout,
    owner: opts.owner ?? null,
    channel: null,
    from: null,
  };
  return p as unknown as Proxy<T>;
}

/** The handle of a proxy, or undefined when `value` is not a proxy. */
export function getHandle(value: unknown): ProxyHandle | undefined {
  return value !== null && typeof value === 'object' ? (value as Partial<ProxyObject>)[PROXY] : undefined;
}

/** True when `value` is a tsactor proxy. */
export function isProxy(value: unknown): boolean {
  return getHandle(value) !== undefined;
}

/** Checks that `method` can be called through `proxy` as a tell; explains otherwise. */
export function tellMethodOf(proxy: unknown, method: string, what: string, ErrorClass: new (m: string) => Error): ProxyHandle {
  const h = getHandle(proxy);
  if (h === undefined) throw new ErrorClass(`${what}: expected an actor proxy, got ${String(proxy)}`);
  const flags = h.addr.desc.methods[method];
  if (flags === undefined || !(flags & TELL)) {
    throw new ErrorClass(
      `${what}: ${h.addr.desc.name}.${method} is ${flags === undefined ? 'not a method of the actor' : methodKind(flags)}; only @Tell methods can be called this way`,
    );
  }
  return h;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null;
}

/**
 * Re-makes every proxy inside `value` (arrays, plain objects, Maps, Sets, nested) as a new
 * proxy owned by `owner` (a proxy that `owner` owns already is kept); returns `value` itself
 * when it holds no proxy to re-make.
 */
export function remakeRefs(value: unknown, owner: ActorCell | null): unknown {
  if (value === null || typeof value !== 'object') return value;
  const h = (value as Partial<ProxyObject>)[PROXY];
  if (h !== undefined) return h.owner === owner ? value : makeProxy(h.addr, { timeout: h.timeout, owner });
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = remakeRefs(v, owner);
      if (r !== v && out === null) out = value.slice(0, i);
      if (out !== null) out.push(r);
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries: Array<[unknown, unknown]> = [];
    for (const [k, v] of value) {
      const rk = remakeRefs(k, owner);
      const rv = remakeRefs(v, owner);
      if (rk !== k || rv !== v) changed = true;
      entries.push([rk, rv]);
    }
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const r = remakeRefs(v, owner);
      if (r !== v) changed = true;
      items.push(r);
    }
    return changed ? new Set(items) : value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const r = remakeRefs(v, owner);
    if (r !== v) out ??= { ...(value as Record<string, unknown>) };
    if (out !== null) out[k] = r;
  }
  return out ?? value;
}

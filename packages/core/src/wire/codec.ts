/**
 * The value codec for messages that leave the thread: proxies become references (only
 * inside `@Ref` methods), errors and instances of registered classes become tagged data, and
 * the rest stays as structured clone (and v8.serialize) carry it. `decodeValue` reverses it.
 * Plain data passes through without being copied.
 */
import { types } from 'node:util';
import { actorErrorClasses, ActorError, toError } from '../errors';
import { getHandle, makeProxy, isProxyMethodName } from '../actor/proxy';
import type { ActorCell } from '../actor/cell';
import { isActorClass, getActorDefinition, describe, TELL, ASK, REF, PARALLEL, type ActorDescription } from '../actor/metadata';
import { getTransport } from '../host/registry';
import { malformed, type WireLimits } from './limits';

/** The key of tagged objects in encoded values. */
export const TAG = '__tsactor$';
const MAX_DEPTH = 512;

const registered = new Map<string, Function>();
const registeredNames = new WeakMap<Function, string>();

/**
 * Registers error and message classes that must keep their class (instanceof, methods)
 * when they cross threads and hosts. Others arrive as plain data (errors: an Error with the
 * same name, message and stack).
 *
 * How an instance is rebuilt on the receiving side: when the class declares a static
 * `fromWire(fields)` (see {@link WireRevivable}), it is called with the received fields (a
 * plain object) and must return an instance of the class; it is the place to check what the
 * constructor would check (a value it refuses is answered with a MALFORMED ActorError).
 * A class without `fromWire` is taken as plain data with methods: the instance gets the
 * class's prototype and the received fields as its own properties, and its constructor
 * does not run. Errors are always rebuilt that way (name, message, stack, code, cause and
 * fields); their constructors never run.
 */
export function registerClass(...classes: Function[]): void {
  for (const klass of classes) {
    if (typeof klass !== 'function' || !klass.name) {
      throw new TypeError(`registerClass: expected named classes, got ${String(klass)}`);
    }
    registered.set(klass.name, klass);
    registeredNames.set(klass, klass.name);
  }
}

/**
 * A registered class that checks what it receives: `fromWire` gets the fields of a received
 * instance (own enumerable properties, already decoded) and returns the instance, or throws
 * to refuse the value.
 */
export interface WireRevivable<T = unknown> {
  fromWire(fields: Record<string, unknown>): T;
}

/** A class sent by value (an `@Actor` class passed to spawn on another thread or host). */
export class ClassRef {
  constructor(
    readonly name: string,
    /** the file that defined it on the sending side, when known */
    readonly source: string | undefined,
  ) {}
  toString(): string {
    return `class ${this.name}`;
  }
}

const builtinErrors: ReadonlyMap<string, Function> = new Map<string, Function>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['AggregateError', AggregateError],
]);

export interface EncodeOptions {
  /** true when the method is `@Ref`: proxies are allowed and travel as references */
  readonly refs: boolean;
  /** 'Class.method', for error messages */
  readonly where: string;
  /**
   * false: errors travel without their stack (which names local files), only 'Name:
   * message'; for peers that did not prove who they are (default true)
   */
  readonly stacks?: boolean;
}

/** The error raised when a proxy goes to a method that is not `@Ref`. */
export function refRequiredError(where: string): ActorError {
  return new ActorError(
    `${where} was given an actor proxy but is not marked @Ref; add @Ref to ${where} to pass actor references across threads and hosts`,
    { code: 'REF_REQUIRED' },
  );
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v) as { constructor?: unknown } | null;
  if (p === Object.prototype || p === null) return true;
  // a plain object of another realm: structured clones made by Node (postMessage,
  // v8.deserialize) inside a vm context, as under jest, come out with the main realm's prototypes
  return Object.getPrototypeOf(p) === null && typeof p.constructor === 'function' && p.constructor.name === 'Object';
}

// realm-independent checks (values decoded from a structured clone may come from another realm)
const isMap = (v: object): v is Map<unknown, unknown> => v instanceof Map || types.isMap(v);
const isSet = (v: object): v is Set<unknown> => v instanceof Set || types.isSet(v);

/** Encodes one value for the wire (see the module comment). Throws ActorError for values that cannot travel. */
export function encodeValue(value: unknown, opts: EncodeOptions, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return value;
    case 'function':
      if (isActorClass(value)) {
        return { [TAG]: 'cls', n: value.name, f: getActorDefinition(value).source };
      }
      throw new ActorError(
        `${opts.where}: a function (${(value as Function).name || 'anonymous'}) cannot be sent; send data or an actor proxy`,
        {
          code: 'NOT_SERIALIZABLE',
        },
      );
    case 'symbol':
      throw new ActorError(`${opts.where}: a symbol cannot be sent`, { code: 'NOT_SERIALIZABLE' });
  }
  if (value === null) return value;
  if (depth > MAX_DEPTH) {
    throw new ActorError(`${opts.where}: value nested deeper than ${MAX_DEPTH} levels (or cyclic) cannot be sent`, {
      code: 'NOT_SERIALIZABLE',
    });
  }
  const obj = value as object;
  const h = getHandle(obj);
  if (h !== undefined) {
    if (!opts.refs) throw refRequiredError(opts.where);
    return { [TAG]: 'ref', u: h.addr.url, d: describe(h.addr.desc) };
  }
  if (Array.isArray(obj)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < obj.length; i++) {
      const v: unknown = obj[i];
      const r = encodeValue(v, opts, depth + 1);
      if (r !== v && out === null) out = obj.slice(0, i);
      if (out !== null) out.push(r);
    }
    return out ?? obj;
  }
  if (isPlain(obj)) return encodeProps(obj, opts, depth);
  if (obj instanceof Error || types.isNativeError(obj)) return encodeError(obj, opts, depth);
  if (Buffer.isBuffer(obj)) {
    // a small Buffer is a view into a shared pool: copy its bytes, or a structured clone
    // (postMessage) would carry the whole pool, other Buffers' data included
    const whole = obj.byteOffset === 0 && obj.byteLength === obj.buffer.byteLength;
    return { [TAG]: 'buf', v: whole ? new Uint8Array(obj.buffer, 0, obj.byteLength) : new Uint8Array(obj) };
  }
  if (ArrayBuffer.isView(obj) || types.isAnyArrayBuffer(obj) || types.isDate(obj) || types.isRegExp(obj)) return obj;
  if (isMap(obj)) {
    let changed = false;
    const entries: Array<[unknown, unknown]> = [];
    for (const [k, v] of obj) {
      const rk = encodeValue(k, opts, depth + 1);
      const rv = encodeValue(v, opts, depth + 1);
      if (rk !== k || rv !== v) changed = true;
      entries.push([rk, rv]);
    }
    return changed ? new Map(entries) : obj;
  }
  if (isSet(obj)) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of obj) {
      const r = encodeValue(v, opts, depth + 1);
      if (r !== v) changed = true;
      items.push(r);
    }
    return changed ? new Set(items) : obj;
  }
  if (types.isPromise(obj)) {
    throw new ActorError(`${opts.where}: a Promise cannot be sent; await it and send its value`, { code: 'NOT_SERIALIZABLE' });
  }
  const name = registeredNames.get(obj.constructor);
  const props = encodeProps(obj, opts, depth, true);
  return name !== undefined ? { [TAG]: 'obj', c: name, v: props } : props;
}

function encodeProps(obj: object, opts: EncodeOptions, depth: number, copy = false): unknown {
  let out: Record<string, unknown> | null = copy ? {} : null;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = (obj as Record<string, unknown>)[k];
    const r = encodeValue(v, opts, depth + 1);
    if (out === null && r !== v) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, (obj as Record<string, unknown>)[keys[j]!]);
    }
    if (out !== null) setOwn(out, k, r);
  }
  if (out === null && TAG in obj) out = { ...(obj as Record<string, unknown>) };
  if (out !== null && TAG in out) {
    // a user object that happens to use our tag key: escape it
    return { [TAG]: 'esc', v: out };
  }
  return out ?? obj;
}

/** out[k] = v, except that a '__proto__' key stays an own property (assigning it would set the prototype). */
function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  else out[k] = v;
}

function encodeError(e: Error, opts: EncodeOptions, depth: number): unknown {
  const props: Record<string, unknown> = {};
  for (const k of Object.keys(e)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'code') continue;
    try {
      setOwn(props, k, encodeValue((e as unknown as Record<string, unknown>)[k], opts, depth + 1));
    } catch {
      // a property that cannot travel is left out of the error
    }
  }
  const out: Record<string, unknown> = {
    [TAG]: 'err',
    n: e.name,
    m: e.message,
    s: opts.stacks === false ? `${e.name}: ${e.message}` : e.stack,
    p: props,
  };
  const registeredAs = registeredNames.get(e.constructor);
  // a registered class whose instances do not carry its name (e.g. no `this.name = ...`)
  if (registeredAs !== undefined && registeredAs !== e.name) out.k = registeredAs;
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.c = code;
  if (e.cause !== undefined) {
    try {
      out.x = encodeValue(e.cause, opts, depth + 1);
    } catch {
      // ignore a cause that cannot travel
    }
  }
  if (e instanceof AggregateError) {
    try {
      out.a = encodeValue(e.errors, opts, depth + 1);
    } catch {
      // ignore
    }
  }
  return out;
}

const descriptions = new Map<string, ActorDescription>();
const ALL_FLAGS = TELL | ASK | REF | PARALLEL;

function checkDescription(d: unknown): ActorDescription {
  const bad = (why: string): ActorError => malformed(`an actor reference has an invalid description: ${why}`);
  if (d === null || typeof d !== 'object') throw bad('not an object');
  const { name, methods, plain } = d as { [K in keyof ActorDescription]?: unknown };
  if (typeof name !== 'string' || name.length > 256) throw bad('its class name is not a string of at most 256 characters');
  if (methods === null || typeof methods !== 'object' || Array.isArray(methods)) throw bad('its methods are not an object');
  for (const m of Object.keys(methods)) {
    if (!isProxyMethodName(m)) {
      throw bad(
        `'${m.slice(0, 64)}' cannot be a proxy method (an identifier other than then, constructor, prototype, Object.prototype's members and the proxy's own methods)`,
      );
    }
    const flags = (methods as Record<string, unknown>)[m];
    if (typeof flags !== 'number' || (flags & ~ALL_FLAGS) !== 0 || !(((flags & TELL) !== 0) !== ((flags & ASK) !== 0))) {
      throw bad(`the flags of method '${m}' are not those of a @Tell or @Ask method`);
    }
  }
  if (plain !== undefined) {
    if (!Array.isArray(plain)) throw bad('its plain methods are not an array');
    for (const m of plain as unknown[])
      if (typeof m !== 'string' || !isProxyMethodName(m)) throw bad(`'${String(m).slice(0, 64)}' cannot be a proxy method name`);
  }
  return d as ActorDescription;
}

/**
 * One shared description object per distinct description, so proxy prototypes are reused.
 * A description seen for the first time is checked (see {@link isProxyMethodName}): a
 * description that names a method a proxy cannot have throws ActorError (MALFORMED).
 */
export function internDescription(d: ActorDescription): ActorDescription {
  const plain = Array.isArray(d.plain) && d.plain.length > 0 ? d.plain.map(String) : undefined;
  const key = `${d.name}|${JSON.stringify(d.methods)}|${plain === undefined ? '' : plain.join(',')}`;
  let v = descriptions.get(key);
  if (v === undefined) {
    checkDescription(d);
    v = Object.freeze(
      plain === undefined
        ? { name: d.name, methods: Object.freeze({ ...d.methods }) }
        : { name: d.name, methods: Object.freeze({ ...d.methods }), plain: Object.freeze(plain) },
    );
    if (descriptions.size > 10_000) descriptions.clear();
    descriptions.set(key, v);
  }
  return v;
}

/** Parses an actor URL into its base (ending in '/') and id. */
export function splitUrl(url: string): { base: string; id: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (m === null) throw new ActorError(`'${url}' is not an actor URL; expected scheme://host:port/id`, { code: 'BAD_URL' });
  return { base: `${m[1]!.toLowerCase()}://${m[2]!}/`, id: m[3]! };
}

export interface DecodeOptions {
  /** the actor that receives the value: proxies in it belong to that actor */
  readonly owner: ActorCell | null;
  /** default ask timeout for proxies made from references */
  readonly timeout?: number | null;
  /**
   * Budgets for values from a network peer (unpackValue, unpackError); the defaults are
   * DEFAULT_WIRE_LIMITS. A transport passes its maximum message size as `maxMessageBytes`.
   * Values from this process (decodeValue: threads, structured clone) are not budgeted.
   */
  readonly limits?: Partial<WireLimits>;
  /**
   * Set when the receiving method is not `@Ref` (to 'Class.method'): an actor reference in
   * the value is refused with REF_REQUIRED, as the sender should have done.
   */
  readonly refusesRefs?: string;
}

/**
 * A proxy for a received reference ({ u: url, d: description }). `network`: it came from a
 * peer, whose URL's scheme must be one this process can reach ('local' or a registered
 * transport's).
 */
export function decodeRef(rec: Record<string, unknown>, opts: DecodeOptions, network: boolean): unknown {
  const url = rec.u;
  if (typeof url !== 'string' || url.length > 2048) throw malformed('an actor reference without a URL (or one over 2048 characters)');
  const { base, id } = splitUrl(url);
  if (network) {
    const scheme = base.slice(0, base.indexOf(':'));
    if (scheme !== 'local' && getTransport(scheme) === undefined) {
      throw malformed(`the actor reference '${url}' has the scheme '${scheme}://', which no transport of this process serves`);
    }
  }
  const desc = internDescription(checkDescription(rec.d));
  return makeProxy({ url, base, id, desc }, { owner: opts.owner, timeout: opts.timeout === undefined ? 10 : opts.timeout });
}

/**
 * An instance of the registered class `name` with the fields `props` (see
 * {@link registerClass}); `props` itself when the class is not registered (here).
 */
export function reviveRegistered(name: unknown, props: Record<string, unknown>): unknown {
  const klass = typeof name === 'string' ? registered.get(name) : undefined;
  if (klass === undefined || isErrorClass(klass)) return props;
  const fromWire = (klass as Partial<WireRevivable>).fromWire;
  if (typeof fromWire === 'function') {
    let out: unknown;
    try {
      out = fromWire.call(klass, props);
    } catch (e) {
      throw new ActorError(`malformed message: ${klass.name}.fromWire refused a received value: ${toError(e).message}`, {
        code: 'MALFORMED',
        cause: e,
      });
    }
    if (!(out instanceof klass)) throw malformed(`${klass.name}.fromWire did not return a ${klass.name}`);
    return out;
  }
  const o = Object.create(klass.prototype as object) as Record<string, unknown>;
  for (const k of Object.keys(props)) defineField(o, k, props[k]);
  return o;
}

function defineField(o: object, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true });
}

function isErrorClass(klass: Function): boolean {
  return klass === Error || Object.prototype.isPrototypeOf.call(Error.prototype, klass.prototype);
}

/** The class of a received error: only tsactor's, the built-in ones and registered error classes. */
function errorClass(name: string, registeredAs: unknown): Function {
  if (typeof registeredAs === 'string') {
    const k = registered.get(registeredAs);
    if (k !== undefined && isErrorClass(k)) return k;
  }
  const known = actorErrorClasses.get(name) ?? builtinErrors.get(name);
  if (known !== undefined) return known;
  const k = registered.get(name);
  return k !== undefined && isErrorClass(k) ? k : Error;
}

/** Fields an error's `p` may not set: those rebuilt from their own entries, and prototype keys. */
const ERROR_OWN = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors', '__proto__', 'constructor', 'prototype']);

/**
 * Rebuilds a received error ({ n: name, m: message, s: stack, c: code, x: cause, a: errors,
 * p: fields, k: registered class }). `decode` decodes nested values; `maxStack` cuts longer
 * stacks (network peers).
 */
export function rebuildError(rec: Record<string, unknown>, decode: (v: unknown) => unknown, maxStack: number): Error {
  const name = typeof rec.n === 'string' ? rec.n.slice(0, 256) : 'Error';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a peer's non-string message is shown as String() shows it
  const message = typeof rec.m === 'string' ? rec.m : String(rec.m ?? '');
  const e = Object.create(errorClass(name, rec.k).prototype as object) as Error;
  let stack = typeof rec.s === 'string' ? rec.s : `${name}: ${message}`;
  if (stack.length > maxStack) stack = `${stack.slice(0, maxStack)}\n    ... (stack cut at ${maxStack} characters)`;
  Object.defineProperty(e, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(e, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  if (e.name !== name) Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (rec.c !== undefined) defineField(e, 'code', decode(rec.c));
  if (rec.x !== undefined)
    Object.defineProperty(e, 'cause', { value: decode(rec.x), writable: true, configurable: true, enumerable: false });
  if (rec.a !== undefined) defineField(e, 'errors', decode(rec.a));
  const props = rec.p;
  if (props !== null && typeof props === 'object') {
    for (const k of Object.keys(props)) {
      if (!ERROR_OWN.has(k)) defineField(e, k, decode((props as Record<string, unknown>)[k]));
    }
  }
  return e;
}

/** Decodes a value produced by {@link encodeValue} (after a structured clone); may reuse its objects. */
export function decodeValue(value: unknown, opts: DecodeOptions): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = decodeValue(v, opts);
    }
    return value;
  }
  if (isMap(value)) {
    let rebuild = false;
    for (const k of value.keys()) if (k !== null && typeof k === 'object') rebuild = true;
    if (rebuild) {
      const out = new Map();
      for (const [k, v] of value) out.set(decodeValue(k, opts), decodeValue(v, opts));
      return out;
    }
    for (const [k, v] of value) if (v !== null && typeof v === 'object') value.set(k, decodeValue(v, opts));
    return value;
  }
  if (isSet(value)) {
    let has = false;
    for (const v of value) if (v !== null && typeof v === 'object') has = true;
    if (!has) return value;
    const out = new Set();
    for (const v of value) out.add(decodeValue(v, opts));
    return out;
  }
  if (!isPlain(value)) return value;
  const rec = value as Record<string, unknown>;
  const tag = rec[TAG];
  if (tag !== undefined) return decodeTagged(tag, rec, opts);
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (v !== null && typeof v === 'object') {
      const r = decodeValue(v, opts);
      if (r !== v) defineField(rec, k, r);
    }
  }
  return rec;
}

function decodeTagged(tag: unknown, rec: Record<string, unknown>, opts: DecodeOptions): unknown {
  switch (tag) {
    case 'ref':
      return decodeRef(rec, opts, false);
    case 'err':
      return rebuildError(rec, (v) => decodeValue(v, opts), Infinity);
    case 'buf': {
      const v = rec.v as Uint8Array;
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
    case 'obj':
      return reviveRegistered(rec.c, decodeValue(rec.v, opts) as Record<string, unknown>);
    case 'cls':
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- names from a peer, made strings as String() makes them
      return new ClassRef(String(rec.n), rec.f === undefined ? undefined : String(rec.f));
    case 'esc': {
      const inner = rec.v as Record<string, unknown>;
      const tagValue = inner[TAG];
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- TAG is a constant key
      delete inner[TAG];
      const out = decodeValue(inner, opts) as Record<string, unknown>;
      out[TAG] = decodeValue(tagValue, opts);
      return out;
    }
    default:
      throw new ActorError(`malformed message: unknown value tag '${String(tag)}'`, { code: 'MALFORMED' });
  }
}

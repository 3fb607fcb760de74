/**
 * The value codec for messages that leave the thread: proxies become references (only
 * inside @Ref methods), errors and instances of registered classes become tagged data, and
 * the rest stays as structured clone (and v8.serialize) carry it. `decodeValue` reverses it.
 * Plain data passes through without being copied.
 */
import { types } from 'node:util';
import { actorErrorClasses, ActorError } from '../errors';
import { getHandle, makeProxy } from '../actor/proxy';
import type { ActorCell } from '../actor/cell';
import { getActorClassByName, isActorClass, getActorDefinition, describe, type ActorDescription } from '../actor/metadata';

/** The key of tagged objects in encoded values. */
export const TAG = '__tsactor$';
const MAX_DEPTH = 512;

const registered = new Map<string, Function>();
const registeredNames = new WeakMap<Function, string>();

/**
 * Registers error and message classes that must keep their class (instanceof, methods)
 * when they cross threads and hosts. Others arrive as plain data (errors: an Error with the
 * same name, message and stack).
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

/** A class sent by value (an @Actor class passed to spawn on another thread or host). */
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

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export interface EncodeOptions {
  /** true when the method is @Ref: proxies are allowed and travel as references */
  readonly refs: boolean;
  /** 'Class.method', for error messages */
  readonly where: string;
}

/** The error raised when a proxy goes to a method that is not @Ref. */
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
      throw new ActorError(`${opts.where}: a function (${(value as Function).name || 'anonymous'}) cannot be sent; send data or an actor proxy`, {
        code: 'NOT_SERIALIZABLE',
      });
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
      const v = obj[i];
      const r = encodeValue(v, opts, depth + 1);
      if (r !== v && out === null) out = obj.slice(0, i);
      if (out !== null) out.push(r);
    }
    return out ?? obj;
  }
  if (isPlain(obj)) return encodeProps(obj, opts, depth);
  if (obj instanceof Error || types.isNativeError(obj)) return encodeError(obj as Error, opts, depth);
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
      for (let j = 0; j < i; j++) out[keys[j]!] = (obj as Record<string, unknown>)[keys[j]!];
    }
    if (out !== null) out[k] = r;
  }
  if (out === null && TAG in obj) out = { ...(obj as Record<string, unknown>) };
  if (out !== null && TAG in out) {
    // a user object that happens to use our tag key: escape it
    return { [TAG]: 'esc', v: out };
  }
  return out ?? obj;
}

function encodeError(e: Error, opts: EncodeOptions, depth: number): unknown {
  const props: Record<string, unknown> = {};
  for (const k of Object.keys(e)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'code') continue;
    try {
      props[k] = encodeValue((e as unknown as Record<string, unknown>)[k], opts, depth + 1);
    } catch {
      // a property that cannot travel is left out of the error
    }
  }
  const out: Record<string, unknown> = {
    [TAG]: 'err',
    n: e.name,
    m: e.message,
    s: e.stack,
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

/** One shared description object per distinct description, so proxy prototypes are reused. */
export function internDescription(d: ActorDescription): ActorDescription {
  const plain = Array.isArray(d.plain) && d.plain.length > 0 ? d.plain.map(String) : undefined;
  const key = `${d.name}|${JSON.stringify(d.methods)}|${plain === undefined ? '' : plain.join(',')}`;
  let v = descriptions.get(key);
  if (v === undefined) {
    v = Object.freeze(
      plain === undefined
        ? { name: String(d.name), methods: Object.freeze({ ...d.methods }) }
        : { name: String(d.name), methods: Object.freeze({ ...d.methods }), plain: Object.freeze(plain) },
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
}

/** Decodes a value produced by {@link encodeValue} (after a structured clone); may reuse its objects. */
export function decodeValue(value: unknown, opts: DecodeOptions): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
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
    if (v !== null && typeof v === 'object') rec[k] = decodeValue(v, opts);
  }
  return rec;
}

function decodeTagged(tag: unknown, rec: Record<string, unknown>, opts: DecodeOptions): unknown {
  switch (tag) {
    case 'ref': {
      const url = String(rec.u);
      const { base, id } = splitUrl(url);
      const desc = internDescription(rec.d as ActorDescription);
      return makeProxy({ url, base, id, desc }, { owner: opts.owner, timeout: opts.timeout === undefined ? 10 : opts.timeout });
    }
    case 'err':
      return decodeError(rec, opts);
    case 'buf': {
      const v = rec.v as Uint8Array;
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
    case 'obj': {
      const klass = registered.get(String(rec.c));
      const props = decodeValue(rec.v, opts) as Record<string, unknown>;
      if (klass === undefined) return props;
      return Object.assign(Object.create(klass.prototype as object) as object, props);
    }
    case 'cls':
      return new ClassRef(String(rec.n), rec.f === undefined ? undefined : String(rec.f));
    case 'esc': {
      const inner = rec.v as Record<string, unknown>;
      const tagValue = inner[TAG];
      delete inner[TAG];
      const out = decodeValue(inner, opts) as Record<string, unknown>;
      out[TAG] = tagValue;
      return out;
    }
    default:
      throw new ActorError(`malformed message: unknown value tag '${String(tag)}'`, { code: 'MALFORMED' });
  }
}

function decodeError(rec: Record<string, unknown>, opts: DecodeOptions): Error {
  const name = String(rec.n ?? 'Error');
  const klass =
    (rec.k !== undefined ? registered.get(String(rec.k)) : undefined) ??
    actorErrorClasses.get(name) ??
    builtinErrors[name] ??
    registered.get(name) ??
    (name === 'AggregateError' ? AggregateError : undefined);
  const e = Object.create(((klass ?? Error) as Function).prototype as object) as Error;
  Object.defineProperty(e, 'message', { value: String(rec.m ?? ''), writable: true, configurable: true, enumerable: false });
  Object.defineProperty(e, 'stack', { value: rec.s === undefined ? `${name}: ${String(rec.m)}` : String(rec.s), writable: true, configurable: true, enumerable: false });
  if (e.name !== name) Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (rec.c !== undefined) (e as { code?: unknown }).code = rec.c;
  if (rec.x !== undefined) Object.defineProperty(e, 'cause', { value: decodeValue(rec.x, opts), writable: true, configurable: true, enumerable: false });
  if (rec.a !== undefined) (e as { errors?: unknown }).errors = decodeValue(rec.a, opts);
  const props = rec.p as Record<string, unknown> | undefined;
  if (props) for (const k of Object.keys(props)) (e as unknown as Record<string, unknown>)[k] = decodeValue(props[k], opts);
  return e;
}

/** Resolves an @Actor class sent by value, on a thread or host that has it registered. */
export function classByName(name: string): Function | undefined {
  return getActorClassByName(name);
}

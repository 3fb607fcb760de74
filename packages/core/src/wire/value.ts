/**
 * The binary form of values inside envelopes (args, ctor_args, value), for network peers.
 *
 * `packValue` runs the value codec (encodeValue: proxies, errors, registered classes) and
 * writes one of two formats:
 * - 'J' + UTF-8 JSON: plain data (the fast path: no copy, JSON.parse on arrival);
 * - 'T' + varint(json length) + JSON + binary: everything else. Values JSON cannot carry
 *   are tagged objects ({ [TAG]: 'map', v: [k, v, ...] }, 'set', 'date', 'big' (hex),
 *   'num' (NaN, ±Infinity, -0), 'undef', 're'), and the bytes of typed arrays, ArrayBuffers
 *   and Buffers follow the JSON ('bin': kind, offset, length).
 *
 * `unpackValue` decodes under budgets ({@link WireLimits}): the byte size first, then (for
 * large inputs) a scan of the JSON nesting before it is parsed, then one walk that counts
 * containers, depth, array and string lengths while it rebuilds tagged values. JSON has no
 * back-references and no holes, so neither can arrive; keys are never used as prototypes;
 * error names map only to known classes; stacks are cut at `maxStackLength`.
 *
 * Structured clone (v8.serialize) is not used for network peers: its back-references let a
 * few hundred bytes hold a graph whose walk takes hours, and its sparse arrays a length of
 * 2^32-1 in 15 bytes. Threads, which trust each other, keep structured clone (postMessage)
 * and decodeValue.
 */
import { types } from 'node:util';
import { ActorError, toError } from '../errors';
import {
  ClassRef,
  decodeRef,
  refRequiredError,
  encodeValue,
  rebuildError,
  reviveRegistered,
  TAG,
  type DecodeOptions,
  type EncodeOptions,
} from './codec';
import { getHandle } from '../actor/proxy';
import { JSON_TAG, ReadEnvelope, putVarint, varintSize, type Envelope, type PackedValue } from './frame';
import { DEFAULT_WIRE_LIMITS, malformed, tooDeep, tooLarge, wireLimits, type WireLimits } from './limits';
import { TYPED_ARRAYS } from './typed-arrays';

const TAGGED = 0x54; // 'T'

// ---------------------------------------------------------------- encoding

/** True when JSON carries `v` exactly (no undefined, NaN, -0, BigInt, Map, Date, typed array ...). */
function jsonSafe(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth > 64) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || !jsonSafe(v[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(v) as object | null;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v) {
        if (k === '__proto__' || !jsonSafe((v as Record<string, unknown>)[k], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Byte runs that follow the JSON of a tagged value. */
interface Blobs {
  parts: Uint8Array[];
  size: number;
}

const BINARY_KINDS: Record<string, { new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT?: number } | undefined> = {
  ...TYPED_ARRAYS,
  DataView,
};

function blob(blobs: Blobs, kind: string, bytes: Uint8Array): Record<string, unknown> {
  const o = blobs.size;
  blobs.parts.push(bytes);
  blobs.size += bytes.byteLength;
  return { [TAG]: 'bin', k: kind, o, l: bytes.byteLength };
}

function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  else out[k] = v;
}

/** The JSON-able form of an encoded value that JSON cannot carry as it is (see the module comment). */
function toTagged(v: unknown, blobs: Blobs, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: 'num', v: Object.is(v, -0) ? '-0' : String(v) };
    case 'undefined':
      return { [TAG]: 'undef' };
    case 'bigint':
      return { [TAG]: 'big', v: v < 0n ? `-${(-v).toString(16)}` : v.toString(16) };
    case 'object':
      break;
    default:
      throw new ActorError(`a ${typeof v} cannot be sent`, { code: 'NOT_SERIALIZABLE' });
  }
  if (v === null) return null;
  if (depth > 512) throw new ActorError('a value nested deeper than 512 levels cannot be sent', { code: 'NOT_SERIALIZABLE' });
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = i in v ? toTagged(v[i], blobs, depth + 1) : { [TAG]: 'undef' };
    return out;
  }
  if (types.isMap(v)) {
    const flat: unknown[] = [];
    for (const [k, x] of v) flat.push(toTagged(k, blobs, depth + 1), toTagged(x, blobs, depth + 1));
    return { [TAG]: 'map', v: flat };
  }
  if (types.isSet(v)) {
    const flat: unknown[] = [];
    for (const x of v) flat.push(toTagged(x, blobs, depth + 1));
    return { [TAG]: 'set', v: flat };
  }
  if (types.isDate(v)) {
    const t = v.getTime();
    return { [TAG]: 'date', v: Number.isNaN(t) ? null : t };
  }
  if (types.isRegExp(v)) return { [TAG]: 're', s: v.source, f: v.flags };
  if (types.isAnyArrayBuffer(v)) return blob(blobs, 'ArrayBuffer', new Uint8Array(v as ArrayBuffer));
  if (ArrayBuffer.isView(v)) {
    const kind = types.isDataView(v) ? 'DataView' : Object.prototype.toString.call(v).slice(8, -1);
    if (BINARY_KINDS[kind] === undefined) throw new ActorError(`a ${kind} cannot be sent`, { code: 'NOT_SERIALIZABLE' });
    return blob(blobs, kind, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setKey(out, k, toTagged((v as Record<string, unknown>)[k], blobs, depth + 1));
  return out;
}

function notSerializable(e: unknown): ActorError {
  if (e instanceof ActorError) return e;
  return new ActorError(`a value cannot be sent: ${toError(e).message}`, { code: 'NOT_SERIALIZABLE', cause: e });
}

function taggedBytes(encoded: unknown): Buffer {
  const blobs: Blobs = { parts: [], size: 0 };
  let json: string;
  try {
    json = JSON.stringify(toTagged(encoded, blobs, 0));
  } catch (e) {
    throw notSerializable(e);
  }
  const n = Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(1 + varintSize(n) + n + blobs.size);
  out[0] = TAGGED;
  let pos = putVarint(out, 1, n);
  pos += out.write(json, pos, n, 'utf8');
  for (const p of blobs.parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** The binary form of an already encoded value (see the module comment). */
export function serializeValue(encoded: unknown): Buffer {
  if (jsonSafe(encoded, 0)) {
    const s = JSON.stringify(encoded);
    const n = Buffer.byteLength(s, 'utf8');
    const out = Buffer.allocUnsafe(n + 1);
    out[0] = JSON_TAG;
    out.write(s, 1, n, 'utf8');
    return out;
  }
  return taggedBytes(encoded);
}

/** Lists of up to this many elements, and strings of up to this many characters, are tried by {@link flatJson}. */
const FLAT_ELEMENTS = 8;
const FLAT_STRING = 32;

/** The JSON of a number, boolean, null or short printable-ASCII string without quotes or backslashes; null for anything else. */
function primitiveJson(x: unknown): string | null {
  switch (typeof x) {
    case 'number':
      // JSON writes a finite number as String() does; NaN, ±Infinity and -0 are tagged
      return Number.isFinite(x) && (x !== 0 || 1 / x > 0) ? String(x) : null;
    case 'boolean':
      return x ? 'true' : 'false';
    case 'string': {
      if (x.length > FLAT_STRING) return null;
      for (let i = 0; i < x.length; i++) {
        const c = x.charCodeAt(i);
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return null;
      }
      return `"${x}"`;
    }
    case 'object':
      return x === null ? 'null' : null;
    default:
      return null;
  }
}

/**
 * The JSON of the most common messages, written here: a short list of such primitives (an
 * argument list) or one of them (a result). JSON.stringify costs ~100 ns even for [1]; the
 * text is the same. Null for anything else (the general path then runs).
 */
export function flatJson(v: unknown): string | null {
  if (!Array.isArray(v)) return primitiveJson(v);
  const n = v.length;
  if (n > FLAT_ELEMENTS || getHandle(v) !== undefined) return null;
  let text = '[';
  for (let i = 0; i < n; i++) {
    // a hole is not plain data (the general path tags it)
    const x = i in v ? primitiveJson(v[i]) : null;
    if (x === null) return null;
    text += i === 0 ? x : `,${x}`;
  }
  return `${text}]`;
}

/**
 * encodeValue, then JSON text for plain data (no copy into a buffer: the envelope writer
 * puts it straight into the frame) or the tagged bytes for the rest.
 */
export function packValueText(value: unknown, opts: EncodeOptions): PackedValue {
  return flatJson(value) ?? encodeText(value, opts);
}

/**
 * {@link packValueText} of a value that {@link flatJson} did not take: for callers that try
 * the flat path first, so that they make the options only when they are needed.
 */
export function encodeText(value: unknown, opts: EncodeOptions): PackedValue {
  const encoded = encodeValue(value, opts);
  if (jsonSafe(encoded, 0)) return JSON.stringify(encoded);
  return taggedBytes(encoded);
}

/** encodeValue then serializeValue: the bytes of a value for an envelope. */
export function packValue(value: unknown, opts: EncodeOptions): Buffer {
  return serializeValue(encodeValue(value, opts));
}

/**
 * The bytes of an error (for ERROR envelopes); never throws. `stacks` false leaves the
 * stacks out (for peers that may not see local file paths).
 */
export function packError(error: unknown, where = 'error', stacks = true): Buffer {
  const e = toError(error);
  try {
    return serializeValue(encodeValue(e, { refs: false, where, stacks }));
  } catch {
    return serializeValue(encodeValue(new ActorError(`${e.name}: ${e.message}`), { refs: false, where, stacks }));
  }
}

// ---------------------------------------------------------------- decoding

/** Inputs up to this size are parsed without scanning their nesting first (JSON.parse of them is cheap whatever their shape). */
const SCAN_ABOVE = 16 * 1024;

/**
 * Checks the nesting depth and the number of containers of JSON text before JSON.parse
 * builds it (JSON.parse of deeply nested input costs far more than its size suggests).
 */
function scanJson(b: Buffer, start: number, end: number, limits: WireLimits): void {
  const maxDepth = limits.maxDepth;
  const maxNodes = limits.maxNodes;
  let depth = 0;
  let nodes = 0;
  let i = start;
  while (i < end) {
    const c = b[i++]!;
    if (c === 0x22) {
      // a string: skip to its closing quote
      while (i < end) {
        const s = b[i++]!;
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw tooDeep(maxDepth);
      if (++nodes > maxNodes) throw tooLarge('the number of arrays and objects in a value', maxNodes, 'maxNodes');
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** The state of one decoding walk. */
interface Walk {
  readonly opts: DecodeOptions;
  readonly limits: WireLimits;
  /** the bytes after the JSON (tagged format), or null */
  readonly blobs: Buffer | null;
  nodes: number;
}

/** JSON text up to this many bytes is read by a loop here (cheaper than a call into Buffer's native toString). */
const SHORT_JSON = 16;

/** The text of buf[start, end): short ASCII by a loop, the rest by toString. */
function jsonText(b: Buffer, start: number, end: number): string {
  if (end - start > SHORT_JSON) return b.toString('utf8', start, end);
  let text = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80) return b.toString('utf8', start, end);
    text += String.fromCharCode(c);
  }
  return text;
}

/** What {@link readSimple} answers for text it does not read itself (JSON.parse then does). */
const NOT_SIMPLE = Symbol('not simple');

/** JSON text up to this many bytes is first tried by {@link readSimple}. */
const SIMPLE_MAX = 64;

/** Where the value {@link readSimpleValue} read ends. */
let simpleEnd = 0;

/**
 * Reads, at b[i], an integer of 1 to 15 digits (exact as a double) or a string of printable
 * ASCII without escapes; NOT_SIMPLE for anything else, whatever JSON.parse would make of it.
 */
function readSimpleValue(b: Buffer, i: number, end: number): unknown {
  const c = b[i];
  if (c === 0x22) {
    for (let j = i + 1; j < end; j++) {
      const ch = b[j]!;
      if (ch === 0x22) {
        simpleEnd = j + 1;
        return jsonText(b, i + 1, j);
      }
      if (ch < 0x20 || ch > 0x7e || ch === 0x5c) return NOT_SIMPLE;
    }
    return NOT_SIMPLE;
  }
  const neg = c === 0x2d;
  const first = neg ? i + 1 : i;
  let j = first;
  let n = 0;
  while (j < end) {
    const d = b[j]! - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    j++;
  }
  const digits = j - first;
  // no digits, too many to be exact, or a leading zero (not JSON)
  if (digits === 0 || digits > 15 || (digits > 1 && b[first] === 0x30)) return NOT_SIMPLE;
  simpleEnd = j;
  return neg ? -n : n;
}

/**
 * The value of the JSON text b[start, end) when it is one of the values of
 * {@link readSimpleValue} or a flat array of them, without whitespace (what this codec
 * writes for the argument lists and results of most messages): read here, where JSON.parse
 * of the same text, with the string made for it, costs several times more. NOT_SIMPLE for
 * any other text; a number followed by a fraction or an exponent is such text.
 */
function readSimple(b: Buffer, start: number, end: number): unknown {
  if (b[start] !== 0x5b) {
    const v = readSimpleValue(b, start, end);
    return v === NOT_SIMPLE || simpleEnd !== end ? NOT_SIMPLE : v;
  }
  const out: unknown[] = [];
  if (end - start === 2 && b[start + 1] === 0x5d) return out;
  let i = start + 1;
  while (i < end) {
    const v = readSimpleValue(b, i, end);
    if (v === NOT_SIMPLE) return NOT_SIMPLE;
    out.push(v);
    i = simpleEnd;
    const c = b[i];
    if (c === 0x5d) return i + 1 === end ? out : NOT_SIMPLE;
    if (c !== 0x2c) return NOT_SIMPLE;
    i++;
  }
  return NOT_SIMPLE;
}

function parseJson(b: Buffer, start: number, end: number, limits: WireLimits): unknown {
  if (end - start <= SIMPLE_MAX) {
    const v = readSimple(b, start, end);
    if (v !== NOT_SIMPLE) return v;
  }
  if (end - start > SCAN_ABOVE) scanJson(b, start, end, limits);
  try {
    return JSON.parse(jsonText(b, start, end));
  } catch (e) {
    throw malformed(`a value could not be read (${toError(e).message})`);
  }
}

function checkString(s: string, w: Walk): string {
  if (s.length > w.limits.maxStringLength)
    throw tooLarge(`a string of ${s.length} characters`, w.limits.maxStringLength, 'maxStringLength');
  return s;
}

function enter(w: Walk, depth: number): void {
  if (depth >= w.limits.maxDepth) throw tooDeep(w.limits.maxDepth);
  if (++w.nodes > w.limits.maxNodes) throw tooLarge('the number of arrays and objects in a value', w.limits.maxNodes, 'maxNodes');
}

function checkLength(n: number, w: Walk, what: string): void {
  if (n > w.limits.maxArrayLength) throw tooLarge(`${what} of ${n} elements`, w.limits.maxArrayLength, 'maxArrayLength');
}

/** Decodes one node of parsed JSON (see the module comment); arrays and objects are rebuilt in place. */
function walk(v: unknown, w: Walk, depth: number): unknown {
  if (typeof v === 'string') return checkString(v, w);
  if (v === null || typeof v !== 'object') return v;
  enter(w, depth);
  if (Array.isArray(v)) {
    checkLength(v.length, w, 'an array');
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'string') checkString(x, w);
      else if (typeof x === 'object' && x !== null) {
        const r = walk(x, w, depth + 1);
        if (r !== x) v[i] = r;
      }
    }
    return v;
  }
  const rec = v as Record<string, unknown>;
  const tag = rec[TAG];
  if (tag !== undefined) return walkTagged(tag, rec, w, depth);
  walkProps(rec, w, depth);
  return rec;
}

function walkProps(rec: Record<string, unknown>, w: Walk, depth: number): void {
  const keys = Object.keys(rec);
  checkLength(keys.length, w, 'an object');
  for (let i = 0; i < keys.length; i++) {
    const k = checkString(keys[i]!, w);
    const x = rec[k];
    if (typeof x === 'string') checkString(x, w);
    else if (typeof x === 'object' && x !== null) {
      const r = walk(x, w, depth + 1);
      // an own '__proto__' key (JSON.parse makes it an own property) stays a plain property
      if (r !== x) setKey(rec, k, r);
    }
  }
}

function field(rec: Record<string, unknown>, k: string, what: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(rec, k)) throw malformed(`${what} without its '${k}' field`);
  return rec[k];
}

function list(x: unknown, w: Walk, what: string): unknown[] {
  if (!Array.isArray(x)) throw malformed(`${what} whose entries are not an array`);
  checkLength(x.length, w, what);
  return x;
}

const BIG_HEX = /^-?[0-9a-f]+$/;
const SPECIAL_NUMBERS: ReadonlyMap<unknown, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

function walkTagged(tag: unknown, rec: Record<string, unknown>, w: Walk, depth: number): unknown {
  const d = depth + 1;
  switch (tag) {
    case 'undef':
      return undefined;
    case 'num': {
      const n = SPECIAL_NUMBERS.get(rec.v);
      if (n === undefined) throw malformed('a special number that is not NaN, Infinity, -Infinity or -0');
      return n;
    }
    case 'big': {
      const s = field(rec, 'v', 'a BigInt');
      if (typeof s !== 'string' || !BIG_HEX.test(s)) throw malformed('a BigInt that is not hexadecimal text');
      checkString(s, w);
      return s[0] === '-' ? -BigInt(`0x${s.slice(1)}`) : BigInt(`0x${s}`);
    }
    case 'date': {
      const t = rec.v;
      if (t !== null && typeof t !== 'number') throw malformed('a Date whose time is not a number');
      return new Date(t ?? NaN);
    }
    case 're': {
      if (typeof rec.s !== 'string' || typeof rec.f !== 'string') throw malformed('a RegExp without source and flags');
      try {
        return new RegExp(checkString(rec.s, w), rec.f);
      } catch (e) {
        throw malformed(`a RegExp that does not compile (${toError(e).message})`);
      }
    }
    case 'map': {
      const flat = list(field(rec, 'v', 'a Map'), w, 'a Map');
      if (flat.length % 2 !== 0) throw malformed('a Map with an odd number of keys and values');
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < flat.length; i += 2) out.set(walk(flat[i], w, d), walk(flat[i + 1], w, d));
      return out;
    }
    case 'set': {
      const flat = list(field(rec, 'v', 'a Set'), w, 'a Set');
      const out = new Set<unknown>();
      for (let i = 0; i < flat.length; i++) out.add(walk(flat[i], w, d));
      return out;
    }
    case 'bin':
      return binary(rec, w);
    case 'buf': {
      const v = walk(field(rec, 'v', 'a Buffer'), w, d);
      if (!(v instanceof Uint8Array)) throw malformed('a Buffer whose bytes are not binary');
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
    case 'ref':
      if (w.opts.refusesRefs !== undefined) throw refRequiredError(w.opts.refusesRefs);
      return decodeRef(rec, w.opts, true);
    case 'err':
      return rebuildError(rec, (x) => walk(x, w, d), w.limits.maxStackLength);
    case 'obj': {
      const props = walk(field(rec, 'v', 'an object of a registered class'), w, d);
      if (props === null || typeof props !== 'object' || Object.getPrototypeOf(props) !== Object.prototype) {
        throw malformed('an object of a registered class whose fields are not an object');
      }
      return reviveRegistered(rec.c, props as Record<string, unknown>);
    }
    case 'cls': {
      if (typeof rec.n !== 'string') throw malformed('a class reference without a name');
      return new ClassRef(checkString(rec.n, w), typeof rec.f === 'string' ? checkString(rec.f, w) : undefined);
    }
    case 'esc': {
      const inner = rec.v;
      if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw malformed('an escaped object that is not an object');
      // the object's own tag key is data like its other keys (walkProps does not read it as a tag)
      walkProps(inner as Record<string, unknown>, w, depth);
      return inner;
    }
    default:
      throw malformed(`unknown value tag '${String(tag).slice(0, 64)}'`);
  }
}

function binary(rec: Record<string, unknown>, w: Walk): unknown {
  const { k, o, l } = rec;
  const Ctor =
    typeof k === 'string' && Object.prototype.hasOwnProperty.call(BINARY_KINDS, k)
      ? BINARY_KINDS[k]
      : k === 'ArrayBuffer'
        ? ArrayBuffer
        : undefined;
  if (Ctor === undefined) throw malformed(`binary data of an unknown kind '${String(k).slice(0, 64)}'`);
  const blobs = w.blobs;
  if (
    blobs === null ||
    !Number.isSafeInteger(o) ||
    !Number.isSafeInteger(l) ||
    (o as number) < 0 ||
    (l as number) < 0 ||
    (o as number) + (l as number) > blobs.byteLength
  ) {
    throw malformed('binary data that runs past the end of the value');
  }
  const size = (Ctor as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  if ((l as number) % size !== 0) throw malformed(`a ${String(k)} whose byte length is not a multiple of ${size}`);
  const start = blobs.byteOffset + (o as number);
  // a copy: the value does not keep the frame's memory alive
  const ab = blobs.buffer.slice(start, start + (l as number)) as ArrayBuffer;
  return Ctor === ArrayBuffer ? ab : new (Ctor as new (b: ArrayBuffer) => ArrayBufferView)(ab);
}

function readVarint(b: Buffer, pos: number, end: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) throw malformed('a value whose header is cut short');
    const c = b[pos++]!;
    result += (c & 0x7f) * mul;
    if (c < 0x80) return [result, pos];
    mul *= 128;
  }
  throw malformed('a value whose header is too long');
}

/**
 * Decodes the bytes of a value from a network peer (written by {@link packValue} or
 * {@link packValueText}) under the budgets of `opts.limits`. Throws ActorError: MALFORMED
 * for bytes that are not a value, TOO_LARGE or TOO_DEEP for one over the budgets.
 */
export function unpackValue(bytes: Uint8Array | null, opts: DecodeOptions): unknown {
  if (bytes === null || bytes.byteLength === 0) return undefined;
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return unpackValueAt(b, 0, b.byteLength, opts);
}

/** {@link unpackValue} of the arguments of a received envelope, read where they lie in its frame. */
export function unpackArgs(e: Envelope, opts: DecodeOptions): unknown {
  if (e instanceof ReadEnvelope && e.argsAt >= 0) return e.argsEnd > e.argsAt ? unpackValueAt(e.src, e.argsAt, e.argsEnd, opts) : undefined;
  return unpackValue(e.args, opts);
}

/** {@link unpackValue} of the value of a received answer, read where it lies in its frame. */
export function unpackResult(e: Envelope, opts: DecodeOptions): unknown {
  if (e instanceof ReadEnvelope && e.valueAt >= 0)
    return e.valueEnd > e.valueAt ? unpackValueAt(e.src, e.valueAt, e.valueEnd, opts) : undefined;
  return unpackValue(e.value, opts);
}

/** {@link unpackValue} of b[start, end) (not empty). */
function unpackValueAt(b: Buffer, start: number, end: number, opts: DecodeOptions): unknown {
  const limits = opts.limits === undefined ? DEFAULT_WIRE_LIMITS : wireLimits(opts.limits);
  if (end - start > limits.maxMessageBytes) throw tooLarge(`a value of ${end - start} bytes`, limits.maxMessageBytes, 'maxMessageBytes');
  const head = b[start]!;
  let parsed: unknown;
  let blobs: Buffer | null = null;
  if (head === JSON_TAG) {
    parsed = parseJson(b, start + 1, end, limits);
  } else if (head === TAGGED) {
    const [n, pos] = readVarint(b, start + 1, end);
    if (pos + n > end) throw malformed('a value whose JSON runs past its end');
    parsed = parseJson(b, pos, pos + n, limits);
    blobs = b.subarray(pos + n, end);
  } else {
    throw malformed(`unknown value format 0x${head.toString(16)} (a peer of another wire version?)`);
  }
  // the common message, an argument list of primitives, needs no walk state
  if (Array.isArray(parsed) && parsed.length <= limits.maxArrayLength && flat(parsed, limits.maxStringLength)) return parsed;
  return walk(parsed, { opts, limits, blobs, nodes: 0 }, 0);
}

/** True when `list` holds only primitives (strings within `maxString`). */
function flat(list: unknown[], maxString: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x === 'object' ? x !== null : typeof x === 'string' && x.length > maxString) return false;
  }
  return true;
}

/** Reads an ERROR envelope's value back into an Error (a decoding failure becomes that error). */
export function unpackError(bytes: Uint8Array | null, opts: DecodeOptions): Error {
  try {
    return toError(unpackValue(bytes, opts));
  } catch (e) {
    return toError(e);
  }
}

/**
 * The envelopes of protos/tsactor.proto, encoded and decoded by hand (protobuf wire format,
 * no dependency), and the binary form of values inside them. Every network transport uses
 * this module: a transport sends `encodeFrame(...)`/`encodeBatch(...)` buffers and reads them
 * back with `decodeFrame`.
 *
 * Values: `packValue` runs the value codec (encodeValue) and then writes either UTF-8 JSON
 * behind a 'J' byte (plain data: the fast path) or Node's v8.serialize output (which starts
 * with its own 0xFF tag) for everything else (Map, Set, Date, BigInt, typed arrays, Buffer,
 * undefined, NaN, -0 ...). `unpackValue` reverses both steps.
 */
import { adopt } from './realm';
import * as v8 from 'node:v8';
import { ActorError, toError } from '../errors';
import { encodeValue, decodeValue, type EncodeOptions, type DecodeOptions } from './codec';

/** The version of the wire format (Hello.version, Welcome.version). */
export const WIRE_VERSION = 1;

/** Envelope kinds (enum Kind of the proto). */
export const EnvelopeKind = { TELL: 1, ASK: 2, RESULT: 3, ERROR: 4 } as const;
export type EnvelopeKindValue = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

/** One message (message Envelope of the proto). Empty byte fields are null. */
export interface Envelope {
  kind: number;
  id: number;
  target: string;
  method: string;
  args: Uint8Array | null;
  ctorArgs: Uint8Array | null;
  value: Uint8Array | null;
  sender: string;
}

export interface Hello {
  version: number;
  from: string;
  to: string;
  token: string;
}

export interface Welcome {
  version: number;
  host: string;
  maxMessageSize: number;
}

export interface Close {
  code: string;
  message: string;
}

/** A decoded frame (message Frame of the proto). */
export interface Frame {
  batch: Envelope[];
  hello: Hello | null;
  welcome: Welcome | null;
  ping: boolean;
  close: Close | null;
}

/** What encodeFrame writes; `batch` holds envelopes already encoded by encodeEnvelope. */
export interface FrameParts {
  batch?: readonly Uint8Array[];
  hello?: Hello;
  welcome?: Welcome;
  ping?: boolean;
  close?: Close;
}

/** The error for bytes that are not a valid frame, envelope or value. */
export function malformed(what: string): ActorError {
  return new ActorError(`malformed message: ${what}`, { code: 'MALFORMED' });
}

// ---------------------------------------------------------------- writing

function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  n = Math.floor(n / 0x10000000);
  while (n > 0) {
    size++;
    n = Math.floor(n / 128);
  }
  return size;
}

class Writer {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  varint(n: number): void {
    const b = this.buf;
    while (n >= 0x80) {
      b[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.pos++] = n;
  }
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.byteLength);
    this.buf.set(data, this.pos);
    this.pos += data.byteLength;
  }
  string(field: number, s: string, len: number): void {
    this.tag(field, 2);
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
}

function strField(s: string): number {
  if (s.length === 0) return 0;
  const n = Buffer.byteLength(s, 'utf8');
  return 1 + varintSize(n) + n;
}

/** A value ready to be written: JSON text (written behind the 'J' byte) or its binary form. */
export type PackedValue = string | Uint8Array;

/** An envelope to write; its value fields may be JSON text (see {@link packValueText}). */
export interface OutgoingEnvelope {
  kind: number;
  id: number;
  target: string;
  method: string;
  args: PackedValue | null;
  ctorArgs: PackedValue | null;
  value: PackedValue | null;
  sender: string;
}

/** Writes a varint at `pos`; returns the position after it. */
export function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function packedLength(p: PackedValue | null): number {
  if (p === null) return 0;
  if (typeof p === 'string') return Buffer.byteLength(p, 'utf8') + 1;
  return p.byteLength;
}

// the lengths found by the last measureEnvelope (used by the writeMeasuredEnvelope that follows it)
let mTarget = 0;
let mMethod = 0;
let mSender = 0;
let mArgs = 0;
let mCtor = 0;
let mValue = 0;

function lenField(len: number): number {
  return len > 0 ? 1 + varintSize(len) + len : 0;
}

/**
 * The encoded size of an envelope. Call {@link writeMeasuredEnvelope} for the same envelope
 * right after (it reuses the lengths measured here).
 */
export function measureEnvelope(e: OutgoingEnvelope): number {
  mTarget = e.target.length === 0 ? 0 : Buffer.byteLength(e.target, 'utf8');
  mMethod = e.method.length === 0 ? 0 : Buffer.byteLength(e.method, 'utf8');
  mSender = e.sender.length === 0 ? 0 : Buffer.byteLength(e.sender, 'utf8');
  mArgs = packedLength(e.args);
  mCtor = packedLength(e.ctorArgs);
  mValue = packedLength(e.value);
  return (
    (e.kind !== 0 ? 1 + varintSize(e.kind) : 0) +
    (e.id !== 0 ? 1 + varintSize(e.id) : 0) +
    lenField(mTarget) +
    lenField(mMethod) +
    lenField(mArgs) +
    lenField(mCtor) +
    lenField(mValue) +
    lenField(mSender)
  );
}

function putPacked(buf: Buffer, pos: number, field: number, p: PackedValue, len: number): number {
  buf[pos++] = (field << 3) | 2;
  pos = putVarint(buf, pos, len);
  if (typeof p === 'string') {
    buf[pos++] = JSON_TAG;
    return pos + buf.write(p, pos, len - 1, 'utf8');
  }
  buf.set(p, pos);
  return pos + p.byteLength;
}

function putString(buf: Buffer, pos: number, field: number, s: string, len: number): number {
  buf[pos++] = (field << 3) | 2;
  pos = putVarint(buf, pos, len);
  return pos + buf.write(s, pos, len, 'utf8');
}

/** Writes the envelope last given to {@link measureEnvelope} at `pos`; returns the position after it. */
export function writeMeasuredEnvelope(buf: Buffer, pos: number, e: OutgoingEnvelope): number {
  if (e.kind !== 0) {
    buf[pos++] = 0x08;
    pos = putVarint(buf, pos, e.kind);
  }
  if (e.id !== 0) {
    buf[pos++] = 0x10;
    pos = putVarint(buf, pos, e.id);
  }
  if (mTarget > 0) pos = putString(buf, pos, 3, e.target, mTarget);
  if (mMethod > 0) pos = putString(buf, pos, 4, e.method, mMethod);
  if (mArgs > 0) pos = putPacked(buf, pos, 5, e.args!, mArgs);
  if (mCtor > 0) pos = putPacked(buf, pos, 6, e.ctorArgs!, mCtor);
  if (mValue > 0) pos = putPacked(buf, pos, 7, e.value!, mValue);
  if (mSender > 0) pos = putString(buf, pos, 8, e.sender, mSender);
  return pos;
}

/** Encodes one envelope (message Envelope). */
export function encodeEnvelope(e: Envelope | OutgoingEnvelope): Buffer {
  const size = measureEnvelope(e);
  const buf = Buffer.allocUnsafe(size);
  writeMeasuredEnvelope(buf, 0, e);
  return buf;
}

function encodeSmall(fields: Array<[number, 'u' | 's', number | string]>): Buffer {
  let size = 0;
  for (const [, t, v] of fields) {
    if (t === 'u') size += v === 0 ? 0 : 1 + varintSize(v as number);
    else size += strField(v as string);
  }
  const w = new Writer(size);
  for (const [f, t, v] of fields) {
    if (t === 'u') {
      if (v !== 0) {
        w.tag(f, 0);
        w.varint(v as number);
      }
    } else if ((v as string).length > 0) {
      w.string(f, v as string, Buffer.byteLength(v as string, 'utf8'));
    }
  }
  return w.buf;
}

/** The size of a batch frame holding envelopes of these encoded sizes. */
export function batchEntrySize(envelopeBytes: number): number {
  return 1 + varintSize(envelopeBytes) + envelopeBytes;
}

/** Encodes a frame (message Frame). */
export function encodeFrame(parts: FrameParts): Buffer {
  const subs: Array<[number, Uint8Array]> = [];
  if (parts.hello) {
    const h = parts.hello;
    subs.push([2, encodeSmall([[1, 'u', h.version], [2, 's', h.from], [3, 's', h.to], [4, 's', h.token]])]);
  }
  if (parts.welcome) {
    const h = parts.welcome;
    subs.push([3, encodeSmall([[1, 'u', h.version], [2, 's', h.host], [3, 'u', h.maxMessageSize]])]);
  }
  if (parts.close) subs.push([5, encodeSmall([[1, 's', parts.close.code], [2, 's', parts.close.message]])]);
  let size = parts.ping ? 2 : 0;
  for (const e of parts.batch ?? []) size += batchEntrySize(e.byteLength);
  for (const [, b] of subs) size += batchEntrySize(b.byteLength);
  const w = new Writer(size);
  for (const e of parts.batch ?? []) w.bytes(1, e);
  for (const [f, b] of subs) {
    w.tag(f, 2);
    w.varint(b.byteLength);
    w.buf.set(b, w.pos);
    w.pos += b.byteLength;
  }
  if (parts.ping) {
    w.tag(4, 0);
    w.varint(1);
  }
  return w.buf;
}

/** Encodes a frame that only carries envelopes (already encoded), in order. */
export function encodeBatch(envelopes: readonly Uint8Array[]): Buffer {
  return encodeFrame({ batch: envelopes });
}

// ---------------------------------------------------------------- reading

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw malformed('varint too long');
  }
  /** returns [start, end) of a length-delimited field */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end) throw malformed('a field runs past the end of the frame');
    this.pos = end;
    return [start, end];
  }
  string(): string {
    const [s, e] = this.span();
    return this.buf.toString('utf8', s, e);
  }
  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }
  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw malformed(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw malformed('a field runs past the end of the frame');
  }
}

function decodeEnvelopeAt(buf: Buffer, start: number, end: number): Envelope {
  const r = new Reader(buf, start, end);
  const e: Envelope = { kind: 0, id: 0, target: '', method: '', args: null, ctorArgs: null, value: null, sender: '' };
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    switch (field) {
      case 1:
        if (wire !== 0) throw malformed('Envelope.kind has the wrong wire type');
        e.kind = r.varint();
        break;
      case 2:
        if (wire !== 0) throw malformed('Envelope.id has the wrong wire type');
        e.id = r.varint();
        break;
      case 3:
        if (wire !== 2) throw malformed('Envelope.target has the wrong wire type');
        e.target = r.string();
        break;
      case 4:
        if (wire !== 2) throw malformed('Envelope.method has the wrong wire type');
        e.method = r.string();
        break;
      case 5:
        if (wire !== 2) throw malformed('Envelope.args has the wrong wire type');
        e.args = r.bytes();
        break;
      case 6:
        if (wire !== 2) throw malformed('Envelope.ctor_args has the wrong wire type');
        e.ctorArgs = r.bytes();
        break;
      case 7:
        if (wire !== 2) throw malformed('Envelope.value has the wrong wire type');
        e.value = r.bytes();
        break;
      case 8:
        if (wire !== 2) throw malformed('Envelope.sender has the wrong wire type');
        e.sender = r.string();
        break;
      default:
        r.skip(wire);
    }
  }
  return e;
}

/** Decodes one envelope (message Envelope). Throws ActorError (MALFORMED). */
export function decodeEnvelope(buf: Uint8Array): Envelope {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return decodeEnvelopeAt(b, 0, b.byteLength);
}

function decodeSmall(buf: Buffer, start: number, end: number, strings: ReadonlySet<number>): Map<number, number | string> {
  const r = new Reader(buf, start, end);
  const out = new Map<number, number | string>();
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (strings.has(field) && wire === 2) out.set(field, r.string());
    else if (!strings.has(field) && wire === 0) out.set(field, r.varint());
    else r.skip(wire);
  }
  return out;
}

const HELLO_STRINGS = new Set([2, 3, 4]);
const WELCOME_STRINGS = new Set([2]);
const CLOSE_STRINGS = new Set([1, 2]);

/**
 * Decodes a frame. Envelopes that are malformed on their own are returned as envelopes of
 * kind 0 with the error message in `method` (so the receiver can answer the others); a
 * frame whose structure is broken throws ActorError (MALFORMED).
 */
export function decodeFrame(input: Uint8Array): Frame {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const frame: Frame = { batch: [], hello: null, welcome: null, ping: false, close: null };
  const r = new Reader(buf, 0, buf.byteLength);
  while (r.pos < buf.byteLength) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field >= 1 && field <= 5 && field !== 4 && wire !== 2) throw malformed(`Frame field ${field} has the wrong wire type`);
    switch (field) {
      case 1: {
        const [s, e] = r.span();
        let env: Envelope;
        try {
          env = decodeEnvelopeAt(buf, s, e);
        } catch (err) {
          env = { kind: 0, id: 0, target: '', method: toError(err).message, args: null, ctorArgs: null, value: null, sender: '' };
        }
        frame.batch.push(env);
        break;
      }
      case 2: {
        const [s, e] = r.span();
        const m = decodeSmall(buf, s, e, HELLO_STRINGS);
        frame.hello = {
          version: Number(m.get(1) ?? 0),
          from: String(m.get(2) ?? ''),
          to: String(m.get(3) ?? ''),
          token: String(m.get(4) ?? ''),
        };
        break;
      }
      case 3: {
        const [s, e] = r.span();
        const m = decodeSmall(buf, s, e, WELCOME_STRINGS);
        frame.welcome = { version: Number(m.get(1) ?? 0), host: String(m.get(2) ?? ''), maxMessageSize: Number(m.get(3) ?? 0) };
        break;
      }
      case 4:
        if (wire !== 0) throw malformed('Frame.ping has the wrong wire type');
        frame.ping = r.varint() !== 0;
        break;
      case 5: {
        const [s, e] = r.span();
        const m = decodeSmall(buf, s, e, CLOSE_STRINGS);
        frame.close = { code: String(m.get(1) ?? ''), message: String(m.get(2) ?? '') };
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return frame;
}

// ---------------------------------------------------------------- values

const JSON_TAG = 0x4a; // 'J'
const V8_TAG = 0xff; // v8.serialize's own first byte

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
      const proto = Object.getPrototypeOf(v);
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

/**
 * v8.deserialize makes its objects in Node's main realm. Code running in another realm (a vm
 * context, as jest's test environment is) gets them rebuilt with its own Map, Set, Date,
 * typed arrays ..., so that instanceof holds; in a plain Node process nothing is copied.
 */
const SAME_REALM = (v8.deserialize(v8.serialize({})) as object).constructor === Object;


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
  try {
    return v8.serialize(encoded);
  } catch (e) {
    throw new ActorError(`a value cannot be sent: ${toError(e).message}`, { code: 'NOT_SERIALIZABLE', cause: e });
  }
}

/** Reads the binary form written by {@link serializeValue}. Throws ActorError (MALFORMED). */
export function deserializeValue(bytes: Uint8Array | null): unknown {
  if (bytes === null || bytes.byteLength === 0) return undefined;
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (b[0] === JSON_TAG) return JSON.parse(b.toString('utf8', 1));
    if (b[0] === V8_TAG) return SAME_REALM ? v8.deserialize(b) : adopt(v8.deserialize(b));
  } catch (e) {
    throw malformed(`a value could not be read (${toError(e).message})`);
  }
  throw malformed(`unknown value format 0x${b[0]!.toString(16)}`);
}

/**
 * encodeValue, then JSON text for plain data (no copy into a buffer: the envelope writer
 * puts it straight into the frame) or the v8 bytes for the rest.
 */
export function packValueText(value: unknown, opts: EncodeOptions): PackedValue {
  const encoded = encodeValue(value, opts);
  if (jsonSafe(encoded, 0)) return JSON.stringify(encoded);
  try {
    return v8.serialize(encoded);
  } catch (e) {
    throw new ActorError(`a value cannot be sent: ${toError(e).message}`, { code: 'NOT_SERIALIZABLE', cause: e });
  }
}

/** encodeValue then serializeValue: the bytes of a value for an envelope. */
export function packValue(value: unknown, opts: EncodeOptions): Buffer {
  return serializeValue(encodeValue(value, opts));
}

/** deserializeValue then decodeValue. */
export function unpackValue(bytes: Uint8Array | null, opts: DecodeOptions): unknown {
  return decodeValue(deserializeValue(bytes), opts);
}

/** The bytes of an error (for ERROR envelopes); never throws. */
export function packError(error: unknown, where = 'error'): Buffer {
  const e = toError(error);
  try {
    return serializeValue(encodeValue(e, { refs: false, where }));
  } catch {
    return serializeValue(encodeValue(new ActorError(`${e.name}: ${e.message}`), { refs: false, where }));
  }
}

/** Reads an ERROR envelope's value back into an Error. */
export function unpackError(bytes: Uint8Array | null, opts: DecodeOptions): Error {
  try {
    return toError(unpackValue(bytes, opts));
  } catch (e) {
    return toError(e);
  }
}

/**
 * The frames and envelopes of protos/tsactor.proto, encoded and decoded by hand (protobuf
 * wire format, no dependency). Every network transport uses this module: a transport sends
 * `encodeFrame(...)`/`encodeBatch(...)` buffers (or writes envelopes straight into a frame
 * buffer with {@link measureEnvelope} and {@link writeEnvelope}) and reads them back with
 * `decodeFrame`. The values inside envelopes are encoded by ./value.
 */
import { toError } from '../errors';
import { DEFAULT_WIRE_LIMITS, malformed, tooLarge, type WireLimits } from './limits';

export { malformed } from './limits';

/** The version of the wire format (Hello.version, Welcome.version). */
export const WIRE_VERSION = 2;

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
  /** the W3C traceparent of the sending span ('' or absent: none) */
  traceparent?: string;
  /** the W3C tracestate that goes with it ('' or absent: none) */
  tracestate?: string;
}

/** The first frame a client sends on a stream (message Hello). */
export interface Hello {
  version: number;
  from: string;
  to: string;
  token: string;
}

/** The server's answer to a Hello (message Welcome). */
export interface Welcome {
  version: number;
  host: string;
  maxMessageSize: number;
}

/** Why a side closes a stream (message Close). */
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

/** A value ready to be written: JSON text (written behind the 'J' byte) or its binary form. */
export type PackedValue = string | Uint8Array;

/** The byte written before JSON text given as a string in a {@link PackedValue}. */
export const JSON_TAG = 0x4a; // 'J'

/** An envelope to write; its value fields may be JSON text (see packValueText). */
export interface OutgoingEnvelope {
  kind: number;
  id: number;
  target: string;
  method: string;
  args: PackedValue | null;
  ctorArgs: PackedValue | null;
  value: PackedValue | null;
  sender: string;
  /** the W3C traceparent of the sending span ('' or absent: none) */
  traceparent?: string;
  /** the W3C tracestate that goes with it ('' or absent: none) */
  tracestate?: string;
}

// ---------------------------------------------------------------- writing

/**
 * The number of bytes of `n` as a varint. The one- and two-byte cases are all the code that
 * callers inline (an envelope measures ten fields with it), the rest is a call.
 */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : longVarintSize(n);
}

function longVarintSize(n: number): number {
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

/** Writes a varint at `pos`; returns the position after it (one byte inline, longer ones in a call). */
export function putVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0x80) {
    buf[pos] = n;
    return pos + 1;
  }
  return putLongVarint(buf, pos, n);
}

function putLongVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * ASCII text up to this many characters is written and read by a loop here: a call into
 * Buffer's native code (write, toString) costs more than the loop for the short names
 * (target, method) and values every envelope carries.
 */
const SHORT_TEXT = 64;

/** Writes `s`, whose UTF-8 length is `len`, at `pos`; returns the position after it. */
function putText(buf: Buffer, pos: number, s: string, len: number): number {
  // as many bytes as characters: every character is ASCII
  if (len === s.length && len <= SHORT_TEXT) {
    for (let i = 0; i < len; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + len;
  }
  return pos + buf.write(s, pos, len, 'utf8');
}

function putString(buf: Buffer, pos: number, field: number, s: string, len: number): number {
  buf[pos++] = (field << 3) | 2;
  pos = putVarint(buf, pos, len);
  return putText(buf, pos, s, len);
}

function putBytes(buf: Buffer, pos: number, field: number, data: Uint8Array): number {
  buf[pos++] = (field << 3) | 2;
  pos = putVarint(buf, pos, data.byteLength);
  buf.set(data, pos);
  return pos + data.byteLength;
}

function putPacked(buf: Buffer, pos: number, field: number, p: PackedValue, len: number): number {
  if (typeof p !== 'string') return putBytes(buf, pos, field, p);
  buf[pos++] = (field << 3) | 2;
  pos = putVarint(buf, pos, len);
  buf[pos++] = JSON_TAG;
  return putText(buf, pos, p, len - 1);
}

function putUint(buf: Buffer, pos: number, field: number, n: number): number {
  if (n === 0) return pos;
  buf[pos++] = field << 3;
  return putVarint(buf, pos, n);
}

function packedLength(p: PackedValue | null): number {
  if (p === null) return 0;
  if (typeof p === 'string') return strLength(p) + 1;
  return p.byteLength;
}

function lenField(len: number): number {
  return len > 0 ? 1 + varintSize(len) + len : 0;
}

/** The UTF-8 length of `s`: short ASCII text (names, small values) is measured by a loop, not by a call into Buffer's native code. */
function strLength(s: string): number {
  const n = s.length;
  if (n <= SHORT_TEXT) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

/**
 * The target and method measured last, with their lengths: a run of envelopes mostly goes to
 * one actor's one method, whose names are then measured once (the same string objects,
 * compared by identity first).
 */
let lastTarget = '';
let lastTargetLength = 0;
let lastMethod = '';
let lastMethodLength = 0;

/**
 * What {@link measureEnvelope} measured: the encoded lengths of an envelope's fields and
 * its total size. A writer keeps one and reuses it for every envelope (no allocation per
 * message).
 */
export class EnvelopeSizes {
  /** the envelope these sizes are of (null: none yet, or already written) */
  envelope: OutgoingEnvelope | null = null;
  target = 0;
  method = 0;
  sender = 0;
  args = 0;
  ctorArgs = 0;
  value = 0;
  traceparent = 0;
  tracestate = 0;
  /** the encoded size of the whole envelope */
  total = 0;
}

/**
 * The encoded size of an envelope. With `into`, the field lengths are kept there for
 * {@link writeEnvelope} (which then does not measure again); without it nothing is kept.
 */
export function measureEnvelope(e: OutgoingEnvelope, into?: EnvelopeSizes): number {
  const target = e.target === lastTarget ? lastTargetLength : (lastTargetLength = strLength((lastTarget = e.target)));
  const method = e.method === lastMethod ? lastMethodLength : (lastMethodLength = strLength((lastMethod = e.method)));
  const sender = strLength(e.sender);
  const args = packedLength(e.args);
  const ctorArgs = packedLength(e.ctorArgs);
  const value = packedLength(e.value);
  // absent or '' in every envelope of a process that does not trace: nothing is measured
  const traceparent = e.traceparent === undefined ? 0 : strLength(e.traceparent);
  const tracestate = e.tracestate === undefined ? 0 : strLength(e.tracestate);
  const total =
    (e.kind !== 0 ? 1 + varintSize(e.kind) : 0) +
    (e.id !== 0 ? 1 + varintSize(e.id) : 0) +
    lenField(target) +
    lenField(method) +
    lenField(args) +
    lenField(ctorArgs) +
    lenField(value) +
    lenField(sender) +
    lenField(traceparent) +
    lenField(tracestate);
  if (into !== undefined) {
    into.envelope = e;
    into.target = target;
    into.method = method;
    into.sender = sender;
    into.args = args;
    into.ctorArgs = ctorArgs;
    into.value = value;
    into.traceparent = traceparent;
    into.tracestate = tracestate;
    into.total = total;
  }
  return total;
}

/**
 * Writes an envelope at `pos` (the buffer must have `sizes.total` bytes free there); returns
 * the position after it. `sizes` are the envelope's, from {@link measureEnvelope}; when they
 * are of another envelope, it is measured again first.
 */
export function writeEnvelope(buf: Buffer, pos: number, e: OutgoingEnvelope, sizes: EnvelopeSizes): number {
  if (sizes.envelope !== e) measureEnvelope(e, sizes);
  sizes.envelope = null; // the sizes are used: a later envelope equal by identity is measured anew
  pos = putUint(buf, pos, 1, e.kind);
  pos = putUint(buf, pos, 2, e.id);
  if (sizes.target > 0) pos = putString(buf, pos, 3, e.target, sizes.target);
  if (sizes.method > 0) pos = putString(buf, pos, 4, e.method, sizes.method);
  if (sizes.args > 0) pos = putPacked(buf, pos, 5, e.args!, sizes.args);
  if (sizes.ctorArgs > 0) pos = putPacked(buf, pos, 6, e.ctorArgs!, sizes.ctorArgs);
  if (sizes.value > 0) pos = putPacked(buf, pos, 7, e.value!, sizes.value);
  if (sizes.sender > 0) pos = putString(buf, pos, 8, e.sender, sizes.sender);
  if (sizes.traceparent > 0) pos = putString(buf, pos, 9, e.traceparent!, sizes.traceparent);
  if (sizes.tracestate > 0) pos = putString(buf, pos, 10, e.tracestate!, sizes.tracestate);
  return pos;
}

/** Encodes one envelope (message Envelope). */
export function encodeEnvelope(e: Envelope | OutgoingEnvelope): Buffer {
  const sizes = new EnvelopeSizes();
  const buf = Buffer.allocUnsafe(measureEnvelope(e, sizes));
  writeEnvelope(buf, 0, e, sizes);
  return buf;
}

type SmallField = [field: number, type: 'u' | 's', value: number | string];

function encodeSmall(fields: SmallField[]): Buffer {
  let size = 0;
  for (const [, t, v] of fields) {
    if (t === 'u') size += v === 0 ? 0 : 1 + varintSize(v as number);
    else size += lenField(strLength(v as string));
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [f, t, v] of fields) {
    if (t === 'u') pos = putUint(buf, pos, f, v as number);
    else if ((v as string).length > 0) pos = putString(buf, pos, f, v as string, Buffer.byteLength(v as string, 'utf8'));
  }
  return buf;
}

/** The size of a batch frame entry holding an envelope of this encoded size. */
export function batchEntrySize(envelopeBytes: number): number {
  return 1 + varintSize(envelopeBytes) + envelopeBytes;
}

/** Encodes a frame (message Frame). */
export function encodeFrame(parts: FrameParts): Buffer {
  const subs: Array<[number, Uint8Array]> = [];
  if (parts.hello) {
    const h = parts.hello;
    subs.push([
      2,
      encodeSmall([
        [1, 'u', h.version],
        [2, 's', h.from],
        [3, 's', h.to],
        [4, 's', h.token],
      ]),
    ]);
  }
  if (parts.welcome) {
    const h = parts.welcome;
    subs.push([
      3,
      encodeSmall([
        [1, 'u', h.version],
        [2, 's', h.host],
        [3, 'u', h.maxMessageSize],
      ]),
    ]);
  }
  if (parts.close)
    subs.push([
      5,
      encodeSmall([
        [1, 's', parts.close.code],
        [2, 's', parts.close.message],
      ]),
    ]);
  let size = parts.ping ? 2 : 0;
  for (const e of parts.batch ?? []) size += batchEntrySize(e.byteLength);
  for (const [, b] of subs) size += batchEntrySize(b.byteLength);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const e of parts.batch ?? []) pos = putBytes(buf, pos, 1, e);
  for (const [f, b] of subs) pos = putBytes(buf, pos, f, b);
  if (parts.ping) putUint(buf, pos, 4, 1);
  return buf;
}

/** Encodes a frame that only carries envelopes (already encoded), in order. */
export function encodeBatch(envelopes: readonly Uint8Array[]): Buffer {
  return encodeFrame({ batch: envelopes });
}

// ---------------------------------------------------------------- reading

/** Strings read up to this many bytes are kept in {@link recentText}. */
const RECENT_BYTES = 48;
/** Slots of {@link recentText} (a power of two). */
const RECENT_SLOTS = 128;
const recentBytes = new Uint8Array(RECENT_SLOTS * RECENT_BYTES);
const recentLength = new Int32Array(RECENT_SLOTS).fill(-1);
const recentString: string[] = new Array<string>(RECENT_SLOTS).fill('');

/**
 * The text of buf[start, end). Envelopes repeat the same few names (targets, methods, the
 * sender): short ones are looked up in a small table of the strings read lately (the same
 * bytes give back the same string, whose hash is then already known to the Maps it is looked
 * up in) instead of being decoded each time. The table is bounded whatever a peer sends.
 */
function readText(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > RECENT_BYTES) return buf.toString('utf8', start, end);
  // the slot: a hash of the length and the last bytes (names that share a long prefix, such
  // as the ids of one kind's virtual actors, differ at the end); a collision only costs a decode
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  for (let i = end > start + 12 ? end - 12 : start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const slot = (h >>> 0) & (RECENT_SLOTS - 1);
  const at = slot * RECENT_BYTES;
  if (recentLength[slot] === n) {
    // compared from the end, where names that differ mostly differ
    let i = n - 1;
    while (i >= 0 && recentBytes[at + i] === buf[start + i]) i--;
    if (i < 0) return recentString[slot]!;
  }
  const text = buf.toString('utf8', start, end);
  for (let i = 0; i < n; i++) recentBytes[at + i] = buf[start + i]!;
  recentLength[slot] = n;
  recentString[slot] = text;
  return text;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
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
  /** Moves past a length-delimited field; returns where it starts (it ends at `pos`). */
  field(): number {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end) throw malformed('a field runs past the end of the frame');
    this.pos = end;
    return start;
  }
  string(): string {
    const start = this.field();
    return readText(this.buf, start, this.pos);
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
        this.field();
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

/** The longest traceparent or tracestate decoded (W3C caps tracestate at 512 characters). */
const MAX_TRACE_FIELD = 512;

/** The length of the length-delimited field at the reader's position, without moving it. */
function peekLength(r: Reader): number {
  const at = r.pos;
  const len = r.varint();
  r.pos = at;
  return len;
}

/**
 * An envelope read from a frame. Its payloads (`args`, `ctorArgs`, `value`) stay where they
 * lie in the frame's buffer until they are read: a Buffer view of each would cost an object
 * of its own per envelope (about 85 ns, a tenth of what a received tell costs its host), and
 * delivery unpacks them in place instead ({@link payloadLength}, unpackArgs and unpackResult
 * of the value codec). Reading a payload property makes its view then, once; setting one
 * replaces it.
 */
export class ReadEnvelope implements Envelope {
  kind = 0;
  id = 0;
  target = '';
  method = '';
  sender = '';
  traceparent = '';
  tracestate = '';
  /** where each payload lies in `src`: [at, end); at -1: absent, or read out into its view (or replaced) */
  argsAt = -1;
  argsEnd = 0;
  ctorAt = -1;
  ctorEnd = 0;
  valueAt = -1;
  valueEnd = 0;
  private argsView: Uint8Array | null = null;
  private ctorView: Uint8Array | null = null;
  private valueView: Uint8Array | null = null;

  constructor(readonly src: Buffer) {}

  get args(): Uint8Array | null {
    if (this.argsAt >= 0) {
      this.argsView = this.src.subarray(this.argsAt, this.argsEnd);
      this.argsAt = -1;
    }
    return this.argsView;
  }
  set args(v: Uint8Array | null) {
    this.argsView = v;
    this.argsAt = -1;
  }

  get ctorArgs(): Uint8Array | null {
    if (this.ctorAt >= 0) {
      this.ctorView = this.src.subarray(this.ctorAt, this.ctorEnd);
      this.ctorAt = -1;
    }
    return this.ctorView;
  }
  set ctorArgs(v: Uint8Array | null) {
    this.ctorView = v;
    this.ctorAt = -1;
  }

  get value(): Uint8Array | null {
    if (this.valueAt >= 0) {
      this.valueView = this.src.subarray(this.valueAt, this.valueEnd);
      this.valueAt = -1;
    }
    return this.valueView;
  }
  set value(v: Uint8Array | null) {
    this.valueView = v;
    this.valueAt = -1;
  }
}

/** The byte length of an envelope's args and constructor args together, without reading them out of a frame. */
export function payloadLength(e: Envelope): number {
  if (e instanceof ReadEnvelope) {
    const args = e.argsAt >= 0 ? e.argsEnd - e.argsAt : (e.args?.byteLength ?? 0);
    return args + (e.ctorAt >= 0 ? e.ctorEnd - e.ctorAt : (e.ctorArgs?.byteLength ?? 0));
  }
  return (e.args?.byteLength ?? 0) + (e.ctorArgs?.byteLength ?? 0);
}

/** Decodes the envelope in [start, end) of the reader's buffer (the reader is moved there). */
function decodeEnvelopeAt(r: Reader, start: number, end: number): Envelope {
  r.pos = start;
  r.end = end;
  const e = new ReadEnvelope(r.buf);
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
        e.argsAt = r.field();
        e.argsEnd = r.pos;
        break;
      case 6:
        if (wire !== 2) throw malformed('Envelope.ctor_args has the wrong wire type');
        e.ctorAt = r.field();
        e.ctorEnd = r.pos;
        break;
      case 7:
        if (wire !== 2) throw malformed('Envelope.value has the wrong wire type');
        e.valueAt = r.field();
        e.valueEnd = r.pos;
        break;
      case 8:
        if (wire !== 2) throw malformed('Envelope.sender has the wrong wire type');
        e.sender = r.string();
        break;
      case 9:
        if (wire !== 2) throw malformed('Envelope.traceparent has the wrong wire type');
        // a valid traceparent is 55 characters: a longer one is not decoded (and not used)
        if (peekLength(r) > MAX_TRACE_FIELD) r.skip(wire);
        else e.traceparent = r.string();
        break;
      case 10:
        if (wire !== 2) throw malformed('Envelope.tracestate has the wrong wire type');
        if (peekLength(r) > MAX_TRACE_FIELD) r.skip(wire);
        else e.tracestate = r.string();
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
  return decodeEnvelopeAt(new Reader(b, 0, 0), 0, b.byteLength);
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
 * frame whose structure is broken throws ActorError (MALFORMED), one over the budgets
 * (envelopes per frame) ActorError (TOO_LARGE). The size of a frame is the transport's
 * to bound (it reads it); the size of each value is checked when the value is decoded.
 */
export function decodeFrame(input: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): Frame {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);

  const frame: Frame = { batch: [], hello: null, welcome: null, ping: false, close: null };
  const r = new Reader(buf, 0, buf.byteLength);
  // the envelopes are read by a reader of their own, moved from one to the next
  let inner: Reader | null = null;
  while (r.pos < buf.byteLength) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field >= 1 && field <= 5 && field !== 4 && wire !== 2) throw malformed(`Frame field ${field} has the wrong wire type`);
    switch (field) {
      case 1: {
        const s = r.field();
        if (frame.batch.length >= limits.maxEnvelopes) {
          throw tooLarge(`a frame of more than ${limits.maxEnvelopes} envelopes`, limits.maxEnvelopes, 'maxEnvelopes');
        }
        let env: Envelope;
        try {
          inner ??= new Reader(buf, 0, 0);
          env = decodeEnvelopeAt(inner, s, r.pos);
        } catch (err) {
          env = { kind: 0, id: 0, target: '', method: toError(err).message, args: null, ctorArgs: null, value: null, sender: '' };
        }
        frame.batch.push(env);
        break;
      }
      case 2: {
        const s = r.field();
        const m = decodeSmall(buf, s, r.pos, HELLO_STRINGS);
        frame.hello = {
          version: Number(m.get(1) ?? 0),
          from: String(m.get(2) ?? ''),
          to: String(m.get(3) ?? ''),
          token: String(m.get(4) ?? ''),
        };
        break;
      }
      case 3: {
        const s = r.field();
        const m = decodeSmall(buf, s, r.pos, WELCOME_STRINGS);
        frame.welcome = { version: Number(m.get(1) ?? 0), host: String(m.get(2) ?? ''), maxMessageSize: Number(m.get(3) ?? 0) };
        break;
      }
      case 4:
        if (wire !== 0) throw malformed('Frame.ping has the wrong wire type');
        frame.ping = r.varint() !== 0;
        break;
      case 5: {
        const s = r.field();
        const m = decodeSmall(buf, s, r.pos, CLOSE_STRINGS);
        frame.close = { code: String(m.get(1) ?? ''), message: String(m.get(2) ?? '') };
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return frame;
}

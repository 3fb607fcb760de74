/**
 * Values made in another realm of this thread. Objects that come out of `postMessage` or
 * `v8.deserialize` belong to the realm that received or deserialized them; when tsactor runs
 * inside another realm (a `vm` context, as jest's test environment is), they fail
 * `instanceof Map` and prototype checks there. `adopt` copies such a value into this realm.
 */
import { TYPED_ARRAYS } from './typed-arrays';

const toTag = Object.prototype.toString;

type TypedArrayCtor = new (source: ArrayLike<number> | ArrayLike<bigint>) => ArrayBufferView;
const typed: Record<string, TypedArrayCtor | undefined> = TYPED_ARRAYS;

/** True when `value` (an array received from a port or a deserializer) was not made in this realm. */
export function isForeign(value: unknown): boolean {
  return Object.getPrototypeOf(value) !== Array.prototype;
}

/** A copy of `value` made of this realm's objects (primitives are returned as they are). */
export function adopt(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 1024) return value;
  const tag = toTag.call(value).slice(8, -1);
  switch (tag) {
    case 'Array': {
      const src = value as unknown[];
      const out = new Array<unknown>(src.length);
      for (let i = 0; i < src.length; i++) out[i] = adopt(src[i], depth + 1);
      return out;
    }
    case 'Object': {
      const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? (Object.create(null) as Record<string, unknown>) : {};
      for (const k of Object.keys(value)) {
        const x = adopt((value as Record<string, unknown>)[k], depth + 1);
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    }
    case 'Map': {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value as Map<unknown, unknown>) out.set(adopt(k, depth + 1), adopt(v, depth + 1));
      return out;
    }
    case 'Set': {
      const out = new Set<unknown>();
      for (const v of value as Set<unknown>) out.add(adopt(v, depth + 1));
      return out;
    }
    case 'Date':
      return new Date((value as Date).getTime());
    case 'RegExp':
      return new RegExp((value as RegExp).source, (value as RegExp).flags);
    case 'ArrayBuffer': {
      const out = new ArrayBuffer((value as ArrayBuffer).byteLength);
      new Uint8Array(out).set(new Uint8Array(value as ArrayBuffer));
      return out;
    }
    default: {
      const Ctor = typed[tag];
      if (Ctor !== undefined) return new Ctor(value as ArrayLike<number>);
      return value;
    }
  }
}

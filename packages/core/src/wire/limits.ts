/**
 * The budgets under which bytes from a network peer are decoded. Every network decoder
 * (frames, envelopes, values) checks its input against them before it allocates, and
 * rejects what is over them with an ActorError whose `code` names the budget
 * ('TOO_LARGE', 'TOO_DEEP', 'MALFORMED'). In-process values (threads, structured clone)
 * are not decoded under budgets: they come from this process.
 */
import { ActorError } from '../errors';

/** Budgets for decoding what a network peer sends. */
export interface WireLimits {
  /** the largest encoded value (and frame) accepted, in bytes (4 MiB) */
  readonly maxMessageBytes: number;
  /** the deepest nesting of arrays, objects, Maps and Sets in a value (128) */
  readonly maxDepth: number;
  /** the most containers (arrays, objects, Maps, Sets, tagged values) in one value (1,000,000) */
  readonly maxNodes: number;
  /** the longest array, Map or Set in a value, in elements (1,000,000) */
  readonly maxArrayLength: number;
  /** the longest string in a value, in UTF-16 code units (by default, maxMessageBytes) */
  readonly maxStringLength: number;
  /** the most envelopes in one frame (65,536) */
  readonly maxEnvelopes: number;
  /** the longest error stack kept from a peer; longer stacks are cut (16 KiB) */
  readonly maxStackLength: number;
}

/** The budgets used when none are given. */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxMessageBytes: 4 * 1024 * 1024,
  maxDepth: 128,
  maxNodes: 1_000_000,
  maxArrayLength: 1_000_000,
  maxStringLength: 4 * 1024 * 1024,
  maxEnvelopes: 65_536,
  maxStackLength: 16 * 1024,
});

const memo = new WeakMap<Partial<WireLimits>, WireLimits>();

/**
 * The full budgets for `changes` (the defaults for what it leaves out). Throws TypeError
 * for a budget that is not a positive integer. The result is cached per `changes` object.
 */
export function wireLimits(changes?: Partial<WireLimits>): WireLimits {
  if (changes === undefined) return DEFAULT_WIRE_LIMITS;
  let out = memo.get(changes);
  if (out !== undefined) return out;
  for (const [k, v] of Object.entries<number | undefined>(changes)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_WIRE_LIMITS, k)) throw new TypeError(`wire limits: unknown budget '${k}'`);
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new TypeError(`wire limits: ${k} must be a positive integer, got ${String(v)}`);
    }
  }
  // strings may be as long as the bytes allow unless told otherwise
  const strings = changes.maxStringLength ?? changes.maxMessageBytes ?? DEFAULT_WIRE_LIMITS.maxStringLength;
  out = Object.freeze({ ...DEFAULT_WIRE_LIMITS, ...changes, maxStringLength: strings });
  memo.set(changes, out);
  return out;
}

/** The error for bytes that are not a valid frame, envelope or value. */
export function malformed(what: string): ActorError {
  return new ActorError(`malformed message: ${what}`, { code: 'MALFORMED' });
}

/** The error for input over a size or count budget. */
export function tooLarge(what: string, limit: number, budget: keyof WireLimits): ActorError {
  return new ActorError(`message refused: ${what} is over the limit of ${limit} (the ${budget} budget of the wire codec)`, {
    code: 'TOO_LARGE',
  });
}

/** The error for a value nested deeper than the depth budget. */
export function tooDeep(limit: number): ActorError {
  return new ActorError(`message refused: a value is nested deeper than ${limit} levels (the maxDepth budget of the wire codec)`, {
    code: 'TOO_DEEP',
  });
}

let lastSized: Partial<WireLimits> | undefined;
/**
 * The decoding budgets (DecodeOptions.limits) of a transport whose largest message is
 * `maxMessageBytes`: undefined for the default size, else one object kept while the size
 * stays the same (no allocation per message).
 */
export function limitsForSize(maxMessageBytes: number): Partial<WireLimits> | undefined {
  if (maxMessageBytes === DEFAULT_WIRE_LIMITS.maxMessageBytes) return undefined;
  if (lastSized?.maxMessageBytes !== maxMessageBytes) lastSized = { maxMessageBytes };
  return lastSized;
}

/**
 * Checks of the values the providers accept. They run before anything reaches a store (or,
 * for the seeds, when a request arrives from another process), so a bad value fails with a
 * {@link ClusterArgumentError} that names it, and every string that is stored has a bound.
 */
import { ClusterArgumentError } from './errors';
import type { MemberInfo } from './member';
import type { ActivationLease } from './provider';

/** The longest member URL accepted. */
export const MAX_URL_LENGTH = 2048;
/** The longest identity accepted. */
export const MAX_IDENTITY_LENGTH = 1024;
/** The most kinds one member may declare, and the longest kind name. */
export const MAX_KINDS = 256;
export const MAX_KIND_LENGTH = 256;
/** The longest lease accepted, in seconds (one day). */
export const MAX_TTL = 86_400;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// no whitespace or control characters: URLs and identities are stored in delimited values
// eslint-disable-next-line no-control-regex -- the control characters are the ones it rejects
const PRINTABLE = /^[^\s\u0000-\u001f\u007f]+$/;

/** A cluster name: 1 to 64 of letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ClusterArgumentError(
      `cluster name ${describe(name)} is not valid: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/** A member URL: a non-empty string without whitespace, at most {@link MAX_URL_LENGTH} long. */
export function checkUrl(url: unknown, what = 'member URL'): string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH || !PRINTABLE.test(url)) {
    throw new ClusterArgumentError(
      `${what} ${describe(url)} is not valid: give a non-empty URL without whitespace, at most ${MAX_URL_LENGTH} characters`,
    );
  }
  return url;
}

/** An identity: a non-empty string without whitespace, at most {@link MAX_IDENTITY_LENGTH} long. */
export function checkIdentity(identity: unknown): string {
  if (typeof identity !== 'string' || identity.length === 0 || identity.length > MAX_IDENTITY_LENGTH || !PRINTABLE.test(identity)) {
    throw new ClusterArgumentError(
      `identity ${describe(identity)} is not valid: give a non-empty string without whitespace, at most ${MAX_IDENTITY_LENGTH} characters`,
    );
  }
  return identity;
}

/** A member's declaration: a valid URL and at most {@link MAX_KINDS} valid kind names. */
export function checkMember(member: unknown): MemberInfo {
  if (typeof member !== 'object' || member === null) {
    throw new ClusterArgumentError(`member ${describe(member)} is not valid: give { url, kinds }`);
  }
  const { url, kinds } = member as { url?: unknown; kinds?: unknown };
  checkUrl(url);
  if (!Array.isArray(kinds) || kinds.length > MAX_KINDS) {
    throw new ClusterArgumentError(`kinds of member ${String(url)} must be an array of at most ${MAX_KINDS} kind names`);
  }
  for (const kind of kinds) {
    if (typeof kind !== 'string' || kind.length === 0 || kind.length > MAX_KIND_LENGTH || !PRINTABLE.test(kind)) {
      throw new ClusterArgumentError(
        `kind ${describe(kind)} of member ${String(url)} is not valid: give a class name without whitespace, at most ${MAX_KIND_LENGTH} characters`,
      );
    }
  }
  return { url: url as string, kinds: [...(kinds as string[])] };
}

/** A lease duration in seconds, in (0, {@link MAX_TTL}]; returns it in whole milliseconds (≥ 1). */
export function ttlMs(ttl: unknown, what = 'lease TTL'): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL) {
    throw new ClusterArgumentError(`${what} ${describe(ttl)} is not valid: give seconds in (0, ${MAX_TTL}]`);
  }
  return Math.max(1, Math.round(ttl * 1000));
}

/** An incarnation or epoch: a positive safe integer. */
export function checkCounter(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ClusterArgumentError(`${what} ${describe(value)} is not valid: give a positive integer`);
  }
  return value;
}

/** An activation lease as given back to `renewActivation` / `release`. */
export function checkLease(lease: unknown): ActivationLease {
  if (typeof lease !== 'object' || lease === null) {
    throw new ClusterArgumentError(`activation lease ${describe(lease)} is not valid: give the lease acquire returned`);
  }
  const l = lease as Partial<ActivationLease>;
  checkIdentity(l.identity);
  checkUrl(l.memberUrl, 'lease holder URL');
  checkCounter(l.epoch, 'lease epoch');
  return l as ActivationLease;
}

/** A short, safe rendering of a bad value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** The shared-token check of hosts that require one (HostOptions.token). */
import * as crypto from 'node:crypto';

let lastExpected: string | null = null;
let lastDigest: Buffer = Buffer.alloc(32);

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Constant-time comparison of the token a peer presented with the expected one (both are
 * hashed first, so neither their content nor their length shows in the time taken). A
 * presented value that is not a string (e.g. a header of another type) never matches.
 */
export function tokenMatches(presented: unknown, expected: string): boolean {
  if (expected !== lastExpected) {
    lastDigest = digest(expected);
    lastExpected = expected;
  }
  const given = digest(typeof presented === 'string' ? presented : '');
  return crypto.timingSafeEqual(given, lastDigest) && typeof presented === 'string';
}

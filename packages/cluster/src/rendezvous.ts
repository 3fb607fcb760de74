/**
 * Placement by rendezvous (highest random weight) hashing: the owner of an identity is the
 * live member, among those that declare its kind, whose hash with the identity is the
 * highest. Every process that sees the same members picks the same owner, without talking to
 * the others; when a member leaves only the identities it owned move (about 1/n of them), and
 * when one joins it takes about 1/n of them from the others.
 */
import type { MemberRecord } from './member';

/**
 * The member that should run the activation of `identity` of kind `kind`: the one with the
 * highest score among `members` that are not `'down'` and declare `kind`, ties broken by the
 * smaller URL. `undefined` when no such member exists. The order of `members` does not matter.
 */
export function owner(identity: string, kind: string, members: readonly MemberRecord[]): MemberRecord | undefined {
  const key = hashString(identity, hashString(kind, 0x811c9dc5));
  let best: MemberRecord | undefined;
  let bestScore = -1;
  for (const m of members) {
    if (m.status === 'down' || !m.kinds.includes(kind)) continue;
    const s = score(key, m.url);
    if (s > bestScore || (s === bestScore && best !== undefined && m.url < best.url)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** The weight of member `url` for the key hash `key`: an unsigned 32-bit integer. */
function score(key: number, url: string): number {
  return fmix32((key ^ hashString(url, 0x9747b28c)) >>> 0);
}

/** A 32-bit hash of `s` (FNV-1a over UTF-16 code units, then MurmurHash3's finaliser). */
export function hashString(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

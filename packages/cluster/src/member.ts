/**
 * Members of a cluster as the membership sees them.
 */

/**
 * What a member's lease says about it:
 * - `'up'`: its lease is live and was renewed on time;
 * - `'suspect'`: its lease is still live but has less than a third of its TTL left, so at
 *   least one renewal was missed (members renew every TTL/3);
 * - `'down'`: it left, or its lease expired. Providers never list such members; the
 *   `Membership` reports them once, in its `member-down` event.
 */
export type MemberStatus = 'up' | 'suspect' | 'down';

/** What a member declares when it joins. */
export interface MemberInfo {
  /** The URL of the member's host (for example `grpc://10.0.0.5:1277/`); unique in the cluster. */
  readonly url: string;
  /** The names of the actor kinds (classes) this member can activate. */
  readonly kinds: readonly string[];
}

/** One row of the membership table. */
export interface MemberRecord extends MemberInfo {
  /** See {@link MemberStatus}. */
  readonly status: MemberStatus;
  /**
   * When the lease ends, in milliseconds since the Unix epoch on this process's clock. It is
   * computed from the time the store says is left (Redis PTTL, PostgreSQL `lease_until -
   * now()`), so clocks of different machines need not agree; the store alone decides expiry.
   */
  readonly leaseUntil: number;
  /**
   * Told apart the successive joins of one URL: every join gets a larger number than any
   * earlier join of that URL in the cluster. A renewal or leave names the incarnation, so a
   * process that restarted at the same URL never renews (or removes) its predecessor's row.
   */
  readonly incarnation: number;
}

/**
 * The status of a live lease with `remainingMs` left out of `ttlMs`: `'suspect'` under a
 * third of the TTL, `'up'` otherwise. For providers that compute records.
 */
export function leaseStatus(remainingMs: number, ttlMs: number): 'up' | 'suspect' {
  return remainingMs * 3 < ttlMs ? 'suspect' : 'up';
}

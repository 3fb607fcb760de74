/**
 * The membership provider: the contract between a cluster and the store that holds its
 * membership table and its activation leases. Redis, PostgreSQL and the seeds implement it
 * in this package; a third party implements it for another store (etcd, Consul, DynamoDB,
 * ...) and passes an instance wherever a membership option is accepted.
 *
 * A provider is a thin, stateless-looking view of the store: every method names the cluster
 * row it acts on, so one provider instance may serve several members of one process (and
 * tests may play several members with one or several instances). The timers (renewing a
 * member's lease every TTL/3, re-reading the table, noticing expiry, reporting changes) live
 * in {@link Membership}, written once for every provider.
 *
 * Durations are in seconds (floats allowed), as everywhere in tsactor; instants are
 * milliseconds since the Unix epoch on the local clock (see {@link MemberRecord.leaseUntil}).
 *
 * Failures: a method rejects with {@link MembershipUnavailableError} when the store cannot be
 * reached or fails, with {@link ClusterArgumentError} for a bad argument, and with
 * {@link MembershipClosedError} after {@link MembershipProvider.close}. A lost race (a lease
 * held by another member, a renewal after expiry) is not an error: it is the documented
 * `null`/`false`/`{ acquired: false }` result.
 */
import type { MemberInfo, MemberRecord } from './member';

/** An activation lease: the right of one member to run the activation of one identity. */
export interface ActivationLease {
  /** The virtual actor's identity (the cluster layer uses `'<kind>/<key>'`). */
  readonly identity: string;
  /** The holder: the URL of the member that runs the activation. */
  readonly memberUrl: string;
  /**
   * The fencing epoch of this acquisition. Each successful `acquire` of an identity gets an
   * epoch larger than every earlier acquisition of that identity in the cluster (gaps are
   * allowed), and renewals keep it. Whoever serves a call under a lease can ask
   * `isCurrent(identity, epoch)`; a store that remembers the epoch can refuse writes
   * stamped with an older one.
   */
  readonly epoch: number;
  /** When the lease ends unless renewed (ms since the Unix epoch, local clock). */
  readonly leaseUntil: number;
}

/** The result of {@link MembershipProvider.acquire}. */
export type AcquireResult =
  | { readonly acquired: true; readonly lease: ActivationLease }
  /** Someone holds a live lease: `holder` is its lease (the caller may route to its member). */
  | { readonly acquired: false; readonly holder: ActivationLease };

/** Stops a subscription (resolves when the store no longer sends to it). */
export type Unsubscribe = () => Promise<void>;

/** The contract a membership store implements. See the file comment for the conventions. */
export interface MembershipProvider {
  /** The cluster's name: clusters sharing a store stay apart by it. */
  readonly name: string;

  /**
   * Adds a member to the table (or replaces the row of an earlier incarnation of that URL)
   * with a lease of `ttl` seconds, and notifies the subscribers. Resolves with the new row,
   * status `'up'`, with an incarnation larger than any earlier one of that URL.
   */
  join(member: MemberInfo, ttl: number): Promise<MemberRecord>;

  /**
   * Extends the lease of the member row (`url`, `incarnation`) to `ttl` seconds from now.
   * Resolves with the renewed row, or `null` when that row is gone (its lease expired, it
   * left, or a later incarnation replaced it): the member must then stop serving and join
   * again. An expired lease is never revived.
   */
  renew(url: string, incarnation: number, ttl: number): Promise<MemberRecord | null>;

  /**
   * Removes the member row (`url`, `incarnation`) and notifies the subscribers. Does nothing
   * when that row is already gone (or belongs to a later incarnation).
   */
  leave(url: string, incarnation: number): Promise<void>;

  /** The members whose lease is live (status `'up'` or `'suspect'`), sorted by URL. */
  list(): Promise<MemberRecord[]>;

  /**
   * Calls `onChange` (with no data: it is a hint to `list()` again) whenever a member of this
   * cluster joins or leaves, and whenever the notification channel was re-established (a
   * notification may have been missed). Expiry of a lease need not be notified: the
   * `Membership` re-reads at the earliest `leaseUntil` it knows and periodically. Resolves
   * once notifications are flowing.
   */
  subscribe(onChange: () => void): Promise<Unsubscribe>;

  /**
   * Tries to take the activation lease of `identity` for `memberUrl`, for `ttl` seconds.
   * Succeeds when no live lease exists (never taken, released, or expired), with a new, larger
   * epoch. When a live lease exists, even one held by `memberUrl` itself, it fails and
   * reports the holder: one acquisition is one activation.
   */
  acquire(identity: string, memberUrl: string, ttl: number): Promise<AcquireResult>;

  /**
   * Extends `lease` to `ttl` seconds from now, only when it is still the live lease of its
   * identity (same epoch and holder). Resolves with the renewed lease, or `null` when it
   * expired or another acquisition replaced it: the holder must stop serving at once.
   */
  renewActivation(lease: ActivationLease, ttl: number): Promise<ActivationLease | null>;

  /**
   * Gives `lease` up, only when it is still the live lease of its identity. Resolves `true`
   * when this call released it. The epoch is not reused by later acquisitions.
   */
  release(lease: ActivationLease): Promise<boolean>;

  /** Whether `epoch` is the epoch of the live lease of `identity`. */
  isCurrent(identity: string, epoch: number): Promise<boolean>;

  /**
   * Closes the provider's connections and subscriptions. It does not leave: rows stay until
   * their leases expire (call `leave` first for a graceful exit). Idempotent.
   */
  close(): Promise<void>;
}

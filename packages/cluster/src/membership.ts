/**
 * The membership of one process in one cluster, over any {@link MembershipProvider}: it keeps
 * a view of the live members, reports changes as events, and, once joined, renews this
 * member's lease every TTL/3 and says when the lease can no longer be trusted.
 *
 * The view is refreshed when the provider hints at a change (pub/sub, LISTEN/NOTIFY, a seed's
 * watch), periodically (every `refreshInterval`), and just after the earliest lease it knows
 * ends, so an expired member is reported about as soon as the store drops it, without
 * polling fast. Refreshes never overlap: a hint during a refresh runs one more after it.
 */
import { EventEmitter } from 'node:events';
import { MembershipClosedError, MembershipUnavailableError } from './errors';
import type { MemberInfo, MemberRecord } from './member';
import type { MembershipProvider, Unsubscribe } from './provider';
import { checkMember, ttlMs } from './validate';

/** Options of a {@link Membership}. Durations in seconds. */
export interface MembershipOptions {
  /** The TTL of this member's lease (default 10). It is renewed every `ttl / 3`. */
  ttl?: number;
  /** How often the table is re-read even without a hint (default `ttl / 3`). */
  refreshInterval?: number;
  /**
   * How long before the lease could end the member gives it up (`lease-lost`) when it could
   * not renew it (default `ttl / 10`): time for the member to stop serving its activations.
   */
  margin?: number;
}

/** Why this member's lease is lost: the store said it is gone, or renewals failed until too late. */
export type LeaseLostReason = 'expired' | 'unrenewable';

/** The events of a {@link Membership}. */
export interface MembershipEvents {
  /** A member joined, or a suspect member renewed its lease again. */
  'member-up': [member: MemberRecord];
  /** A member's lease has less than a third of its TTL left: it missed renewals. */
  'member-suspect': [member: MemberRecord];
  /** A member left, its lease expired, or a new incarnation replaced it (status `'down'`). */
  'member-down': [member: MemberRecord];
  /** This member's lease is lost: stop serving its activations; `join` again to come back. */
  'lease-lost': [reason: LeaseLostReason];
  /** A read or renewal failed (the store is away); it is retried on the next tick. */
  'store-error': [error: Error];
}

/** See the file comment. Create one per member process and cluster; `close` it at the end. */
export class Membership extends EventEmitter<MembershipEvents> {
  /** This member's lease TTL in ms, the renewal interval, the refresh interval and margin. */
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly refreshMs: number;
  private readonly marginMs: number;

  private view = new Map<string, MemberRecord>();
  private self: MemberRecord | undefined;
  /** Local time until which this member's lease is certainly live (request sent + TTL). */
  private safeUntil = 0;
  private started: Promise<void> | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private closed = false;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    /** The store; the caller owns it (closes it after closing this membership). */
    readonly provider: MembershipProvider,
    options: MembershipOptions = {},
  ) {
    super();
    this.ttlMs = ttlMs(options.ttl ?? 10, 'membership ttl');
    this.renewMs = Math.max(1, Math.floor(this.ttlMs / 3));
    this.refreshMs = options.refreshInterval === undefined ? this.renewMs : ttlMs(options.refreshInterval, 'refreshInterval');
    this.marginMs = options.margin === undefined ? Math.floor(this.ttlMs / 10) : Math.min(ttlMs(options.margin, 'margin'), this.ttlMs);
  }

  /** The live members as last read (status `'up'` or `'suspect'`), sorted by URL. */
  members(): MemberRecord[] {
    return [...this.view.values()];
  }

  /** This member's row while joined (and its lease not lost), else `undefined`. */
  get member(): MemberRecord | undefined {
    return this.self;
  }

  /**
   * Watches the table without joining (a client of the cluster): subscribes, then reads it.
   * `join` calls it; calling it again does nothing.
   */
  start(): Promise<void> {
    this.assertOpen('start');
    this.started ??= (async () => {
      this.unsubscribe = await this.provider.subscribe(() => void this.refresh());
      await this.refresh();
    })();
    return this.started;
  }

  /**
   * Joins the cluster as `member` (after `start`), keeps its lease renewed, and resolves with
   * its row once the view includes it. Joining again (after `lease-lost`) gets a new
   * incarnation. Rejects with MembershipUnavailableError when the store cannot be reached, or
   * answers so late that the lease may already be ending.
   */
  async join(member: MemberInfo): Promise<MemberRecord> {
    this.assertOpen('join');
    const info = checkMember(member);
    await this.start();
    // a lease being replaced is not renewed any more, so it is not trusted either
    this.stopRenewing();
    this.self = undefined;
    const sentAt = Date.now();
    const record = await this.provider.join(info, this.ttlMs / 1000);
    // the lease is only known to last until sentAt + TTL: an answer that comes (nearly) that
    // late, e.g. held up by a partition that just healed, gives a lease this member cannot
    // trust even for a moment; the next join replaces that row with a new incarnation
    if (Date.now() >= sentAt + this.ttlMs - this.marginMs) {
      throw new MembershipUnavailableError(
        `membership '${this.provider.name}': the store answered the join of ${info.url} ${Date.now() - sentAt} ms after it was sent, too late to trust its ${this.ttlMs / 1000} s lease; join again (a store this slow needs a longer ttl)`,
      );
    }
    this.self = record;
    this.leaseRenewed(sentAt);
    this.scheduleRenewal();
    await this.refresh();
    return record;
  }

  /** Leaves the cluster: stops renewing and removes this member's row (others see it down). */
  async leave(): Promise<void> {
    const self = this.self;
    this.stopRenewing();
    this.self = undefined;
    if (self !== undefined && !this.closed) {
      await this.provider.leave(self.url, self.incarnation);
      await this.refresh();
    }
  }

  /** Stops every timer and the subscription. Does not leave (see `leave`) or close the provider. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRenewing();
    clearTimeout(this.refreshTimer);
    await this.started?.catch(() => undefined);
    await this.refreshing?.catch(() => undefined);
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Re-reads the table now and reports what changed (coalesces with a refresh under way). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.readOnce();
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- refresh() sets it while readOnce() is awaited
        } while (this.refreshAgain && !this.closed);
      } finally {
        this.refreshing = undefined;
        this.scheduleRefresh();
      }
    })();
    return this.refreshing;
  }

  private async readOnce(): Promise<void> {
    let members: MemberRecord[];
    try {
      members = await this.provider.list();
    } catch (e) {
      this.emit('store-error', e as Error);
      return;
    }
    if (this.closed) return;
    const next = new Map<string, MemberRecord>();
    for (const m of members) next.set(m.url, m);
    const prev = this.view;
    this.view = next;
    for (const [url, old] of prev) {
      const now = next.get(url);
      if (now === undefined || now.incarnation !== old.incarnation) this.emit('member-down', { ...old, status: 'down' });
    }
    for (const [url, m] of next) {
      const old = prev.get(url);
      if (old === undefined || old.incarnation !== m.incarnation || (old.status !== m.status && m.status === 'up')) {
        this.emit('member-up', m);
      } else if (old.status !== m.status && m.status === 'suspect') {
        this.emit('member-suspect', m);
      }
    }
  }

  /** The next refresh: after `refreshInterval`, or just after the earliest lease ends. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    if (this.closed) return;
    let delay = this.refreshMs;
    const now = Date.now();
    for (const m of this.view.values()) {
      if (m.url === this.self?.url) continue;
      // a few ms after the end, so that the store has certainly dropped it
      delay = Math.min(delay, Math.max(0, m.leaseUntil - now) + 20);
    }
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
    this.refreshTimer.unref();
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => void this.renewOnce(), this.renewMs);
    this.renewTimer.unref();
  }

  private async renewOnce(): Promise<void> {
    const self = this.self;
    if (self === undefined || this.closed) return;
    const sentAt = Date.now();
    try {
      const renewed = await this.provider.renew(self.url, self.incarnation, this.ttlMs / 1000);
      if (this.self !== self) return; // left, lost or re-joined meanwhile
      if (renewed === null) {
        this.leaseLost('expired');
        return;
      }
      this.self = renewed;
      this.leaseRenewed(sentAt);
    } catch (e) {
      if (this.self !== self) return;
      this.emit('store-error', e as Error); // the deadline timer decides when it is too late
    }
    this.scheduleRenewal();
  }

  /**
   * The store set the lease to end TTL after it handled the request, which is after `sentAt`:
   * so the lease is live at least until `sentAt + TTL` on this clock. Give it up `margin`
   * before that unless a later renewal succeeds.
   */
  private leaseRenewed(sentAt: number): void {
    this.safeUntil = sentAt + this.ttlMs;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.leaseLost('unrenewable'), this.safeUntil - this.marginMs - Date.now());
    this.deadlineTimer.unref();
  }

  private leaseLost(reason: LeaseLostReason): void {
    if (this.self === undefined) return;
    this.stopRenewing();
    this.self = undefined;
    this.emit('lease-lost', reason);
  }

  private stopRenewing(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.deadlineTimer);
    this.renewTimer = undefined;
    this.deadlineTimer = undefined;
  }

  private assertOpen(what: string): void {
    if (this.closed) {
      throw new MembershipClosedError(`cannot ${what}: the membership of cluster '${this.provider.name}' was closed; create a new one`);
    }
  }
}

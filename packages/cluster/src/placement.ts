/**
 * Where an identity lives, as one process sees it: rendezvous placement over the live
 * members of the membership view, minus the members this process found unreachable (a call
 * to them failed with HostDownError) until the membership reports them again or a short
 * while passes. Both the calling side and the serving side of a member use it, so a member
 * killed with SIGKILL is routed around on the next call, before its lease ends in the store.
 */
import type { MemberRecord } from './member';
import type { Membership } from './membership';
import { owner } from './rendezvous';

/** The most owners kept (one entry per identity called; all dropped when full). */
const MAX_KEPT = 100_000;

/** See the file comment. */
export class Placement {
  /** Unreachable member URLs: the incarnation seen down and until when it is avoided (ms). */
  private readonly unreachable = new Map<string, { incarnation: number; until: number }>();
  private live: MemberRecord[] = [];
  /** The owner of each identity called since the view last changed (null: no member declares its kind). */
  private readonly owners = new Map<string, MemberRecord | null>();
  /**
   * Changes whenever an owner may have changed (a new view, a member avoided). Together with
   * {@link steady}, an owner found under the same version is still the owner.
   */
  version = 0;

  constructor(
    private readonly membership: Membership,
    /** How long a member that failed a call is avoided unless the membership says otherwise (ms). */
    private readonly avoidMs: number,
  ) {
    this.refresh();
  }

  /** Re-reads the membership view (call on every membership event). */
  refresh(): void {
    const now = Date.now();
    const members = this.membership.members();
    for (const [url, u] of this.unreachable) {
      const m = members.find((x) => x.url === url);
      if (m === undefined || m.incarnation !== u.incarnation || u.until <= now) this.unreachable.delete(url);
    }
    this.live = members.filter((m) => !this.unreachable.has(m.url));
    this.owners.clear();
    this.version++;
  }

  /**
   * The member that should serve `identity` (`<kind>/<key>`) of `kind`, optionally without
   * `except`. Answers are kept until the view changes: a call does not hash the identity again.
   */
  ownerOf(identity: string, kind: string, except?: string): MemberRecord | undefined {
    if (this.unreachable.size > 0) this.expire();
    if (except !== undefined)
      return owner(
        identity,
        kind,
        this.live.filter((m) => m.url !== except),
      );
    const known = this.owners.get(identity);
    if (known !== undefined) return known ?? undefined;
    const found = owner(identity, kind, this.live);
    if (this.owners.size >= MAX_KEPT) this.owners.clear();
    this.owners.set(identity, found ?? null);
    return found;
  }

  /** True when no member is avoided for a while (nothing can change without a new version). */
  get steady(): boolean {
    return this.unreachable.size === 0;
  }

  /** Whether `url` is a live member this process can reach. */
  isReachable(url: string): boolean {
    if (this.unreachable.size > 0) this.expire();
    return this.live.some((m) => m.url === url);
  }

  /** A call to `url` failed with HostDownError: avoid it until it comes back. */
  markUnreachable(url: string): void {
    const m = this.membership.members().find((x) => x.url === url);
    if (m === undefined) return;
    this.unreachable.set(url, { incarnation: m.incarnation, until: Date.now() + this.avoidMs });
    this.live = this.live.filter((x) => x.url !== url);
    this.owners.clear();
    this.version++;
  }

  private expire(): void {
    const now = Date.now();
    for (const u of this.unreachable.values()) {
      if (u.until <= now) {
        this.refresh();
        return;
      }
    }
  }
}

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

/** See the file comment. */
export class Placement {
  /** Unreachable member URLs: the incarnation seen down and until when it is avoided (ms). */
  private readonly unreachable = new Map<string, { incarnation: number; until: number }>();
  private live: MemberRecord[] = [];

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
  }

  /** The member that should serve `identity` of `kind`, optionally without `except`. */
  ownerOf(identity: string, kind: string, except?: string): MemberRecord | undefined {
    if (this.unreachable.size > 0) this.expire();
    const members = except === undefined ? this.live : this.live.filter((m) => m.url !== except);
    return owner(identity, kind, members);
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

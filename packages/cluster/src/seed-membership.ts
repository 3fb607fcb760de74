/**
 * The seeds membership provider: no store, the table lives in memory on a seed member
 * ({@link SeedTable}) and the others reach it through a {@link SeedLink}. For development
 * and one machine. Changes are learnt by long polling the seed (`watch`), plus the
 * {@link Membership}'s periodic reads.
 *
 * The table is on one seed; every member must name the same one. Replies are checked as
 * hostile input: a reply of the wrong shape fails with MembershipUnavailableError.
 */
import { ActorError } from '@tsactor/core';
import { MembershipClosedError, MembershipUnavailableError } from './errors';
import { leaseStatus, type MemberInfo, type MemberRecord } from './member';
import type { AcquireResult, ActivationLease, MembershipProvider, Unsubscribe } from './provider';
import type { SeedLink, SeedReplies, SeedRequest } from './seed-protocol';
import { checkCounter, checkIdentity, checkLease, checkMember, checkName, checkUrl, ttlMs } from './validate';

/** Error codes that mean the seed is away (rather than that it refused the request). */
const LINK_FAILURES = new Set(['HOST_DOWN', 'TIMEOUT', 'MEMBERSHIP_CLOSED']);

/** Options of a {@link SeedMembership}. */
export interface SeedMembershipOptions {
  /** The cluster's name (the seed's). */
  name: string;
  /** Carries requests to the seed that holds the table. */
  link: SeedLink;
  /** How long one long poll of the seed waits, in seconds (default 20). */
  watchWait?: number;
}

/** See the file comment. */
export class SeedMembership implements MembershipProvider {
  readonly name: string;
  private readonly link: SeedLink;
  private readonly watchWaitMs: number;
  private readonly listeners = new Set<() => void>();
  private watching = false;
  private closed = false;

  constructor(options: SeedMembershipOptions) {
    this.name = checkName(options.name);
    this.link = options.link;
    this.watchWaitMs = ttlMs(options.watchWait ?? 20, 'watchWait');
  }

  async join(member: MemberInfo, ttl: number): Promise<MemberRecord> {
    const m = checkMember(member);
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.call('join', { op: 'join', cluster: this.name, url: m.url, kinds: [...m.kinds], ttlMs: ms });
    return { url: m.url, kinds: m.kinds, status: 'up', leaseUntil: sentAt + ms, incarnation: counter(r.incarnation) };
  }

  async renew(url: string, incarnation: number, ttl: number): Promise<MemberRecord | null> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.call('renew', { op: 'renew', cluster: this.name, url, incarnation, ttlMs: ms });
    if (!bool(r.ok)) return null;
    return { url, kinds: strings(r.kinds), status: 'up', leaseUntil: sentAt + ms, incarnation };
  }

  async leave(url: string, incarnation: number): Promise<void> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    await this.call('leave', { op: 'leave', cluster: this.name, url, incarnation });
  }

  async list(): Promise<MemberRecord[]> {
    const r = await this.call('list', { op: 'list', cluster: this.name });
    if (!Array.isArray(r.members)) throw badReply('list');
    const now = Date.now();
    const out: MemberRecord[] = [];
    for (const row of r.members as unknown[]) {
      const x = (typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>;
      const remaining = num(x.remainingMs);
      if (remaining <= 0) continue;
      out.push({
        url: checkReplyUrl(x.url),
        kinds: strings(x.kinds),
        status: leaseStatus(remaining, num(x.ttlMs)),
        leaseUntil: now + remaining,
        incarnation: counter(x.incarnation),
      });
    }
    return out.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  async subscribe(onChange: () => void): Promise<Unsubscribe> {
    this.assertOpen('subscribe');
    this.listeners.add(onChange);
    if (!this.watching) {
      this.watching = true;
      void this.watchLoop();
    }
    return async () => {
      this.listeners.delete(onChange);
    };
  }

  /**
   * Long polls the seed while anyone listens: each answer with a new version is a change.
   * After a failure it waits a second, and tells the listeners to re-read once the seed
   * answers again (a change may have been missed).
   */
  private async watchLoop(): Promise<void> {
    let version = -1;
    let failed = false;
    while (!this.closed && this.listeners.size > 0) {
      try {
        const r = await this.call('watch', { op: 'watch', cluster: this.name, version, waitMs: this.watchWaitMs });
        const v = r.version;
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badReply('watch');
        if (v !== version || failed) {
          if (version !== -1 || failed) this.notify();
          version = v;
          failed = false;
        }
      } catch {
        failed = true;
        await new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
    this.watching = false;
  }

  async acquire(identity: string, memberUrl: string, ttl: number): Promise<AcquireResult> {
    checkIdentity(identity);
    checkUrl(memberUrl, 'lease holder URL');
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.call('acquire', { op: 'acquire', cluster: this.name, identity, memberUrl, ttlMs: ms });
    const epoch = counter(r.epoch);
    if (bool(r.acquired)) return { acquired: true, lease: { identity, memberUrl, epoch, leaseUntil: sentAt + ms } };
    return {
      acquired: false,
      holder: { identity, memberUrl: checkReplyUrl(r.memberUrl), epoch, leaseUntil: Date.now() + num(r.remainingMs) },
    };
  }

  async renewActivation(lease: ActivationLease, ttl: number): Promise<ActivationLease | null> {
    const { identity, memberUrl, epoch } = checkLease(lease);
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.call('renewActivation', {
      op: 'renewActivation',
      cluster: this.name,
      identity,
      memberUrl,
      epoch,
      ttlMs: ms,
    });
    return bool(r.ok) ? { ...lease, leaseUntil: sentAt + ms } : null;
  }

  async release(lease: ActivationLease): Promise<boolean> {
    const { identity, memberUrl, epoch } = checkLease(lease);
    return bool((await this.call('release', { op: 'release', cluster: this.name, identity, memberUrl, epoch })).ok);
  }

  async isCurrent(identity: string, epoch: number): Promise<boolean> {
    checkIdentity(identity);
    checkCounter(epoch, 'epoch');
    return bool((await this.call('isCurrent', { op: 'isCurrent', cluster: this.name, identity, epoch })).ok);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Sends one request. The seed's own errors (a bad argument, a full table) pass through as
   * they are; a failure of the link becomes MembershipUnavailableError.
   */
  private async call<K extends SeedRequest['op']>(
    what: K,
    request: Extract<SeedRequest, { op: K }>,
  ): Promise<Partial<Record<keyof SeedReplies[K], unknown>>> {
    this.assertOpen(what);
    let reply: unknown;
    try {
      reply = await this.link(request);
    } catch (e) {
      if (e instanceof ActorError && !LINK_FAILURES.has(e.code)) throw e;
      throw new MembershipUnavailableError(
        `membership '${this.name}': ${what} failed: the seed did not answer (${(e as Error).message}); check that the seed member runs`,
        { cause: e },
      );
    }
    if (typeof reply !== 'object' || reply === null) throw badReply(what);
    return reply;
  }

  private assertOpen(what: string): void {
    if (this.closed) {
      throw new MembershipClosedError(`cannot ${what}: the seed membership of cluster '${this.name}' was closed`);
    }
  }
}

function badReply(what: string): MembershipUnavailableError {
  return new MembershipUnavailableError(
    `the seed answered ${what} with a reply of the wrong shape; check that it runs the same tsactor version`,
  );
}

function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badReply('a request');
  return v;
}

function counter(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw badReply('a request');
  return v;
}

function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw badReply('a request');
  return v;
}

function strings(v: unknown): string[] {
  try {
    return [...checkMember({ url: 'x', kinds: v }).kinds];
  } catch {
    throw badReply('a request');
  }
}

function checkReplyUrl(v: unknown): string {
  try {
    return checkUrl(v);
  } catch {
    throw badReply('a request');
  }
}

/**
 * The membership table kept in memory by a seed member: the store of the seeds provider,
 * for development and one machine. Requests arrive as {@link SeedRequest}s (from this
 * process or, through a transport, from others) and are checked as hostile input; the
 * table is bounded (members, activation leases, waiting watchers).
 *
 * The table is as good as its process: it is not replicated, so when the seed that holds it
 * stops, membership is gone (members see the store as unavailable). Use Redis or
 * PostgreSQL where that matters.
 */
import { ClusterArgumentError, ClusterCapacityError, MembershipClosedError } from './errors';
import type { SeedLink, SeedMemberRow, SeedReplies } from './seed-protocol';
import { checkCounter, checkIdentity, checkMember, checkName, checkUrl } from './validate';

/** Options of a {@link SeedTable}. */
export interface SeedTableOptions {
  /** The cluster's name; requests for another cluster are refused. */
  name: string;
  /** The most members (default 1000), activation leases (default 100 000) and waiting watchers (default 1000). */
  maxMembers?: number;
  maxActivations?: number;
  maxWatchers?: number;
}

/** The longest a `watch` waits, in ms: a member's long poll comes back at least this often. */
const MAX_WAIT_MS = 60_000;
const MAX_TTL_MS = 86_400_000;

interface MemberRow {
  kinds: string[];
  incarnation: number;
  ttlMs: number;
  expiresAt: number;
}

interface ActivationRow {
  memberUrl: string;
  epoch: number;
  expiresAt: number;
}

/** See the file comment. */
export class SeedTable {
  readonly name: string;
  private readonly maxMembers: number;
  private readonly maxActivations: number;
  private readonly maxWatchers: number;
  private readonly members = new Map<string, MemberRow>();
  private readonly activations = new Map<string, ActivationRow>();
  private readonly watchers = new Set<{ resolve: () => void; timer: NodeJS.Timeout }>();
  /** Grows on every change of the member table (join, leave, expiry). */
  private version = 0;
  /** Counters of joins and acquisitions: incarnations and epochs only grow. */
  private incarnations = 0;
  private epochs = 0;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: SeedTableOptions) {
    this.name = checkName(options.name);
    this.maxMembers = options.maxMembers ?? 1000;
    this.maxActivations = options.maxActivations ?? 100_000;
    this.maxWatchers = options.maxWatchers ?? 1000;
  }

  /** Handles one request (from anyone: every field is checked). Rejects with a ClusterError. */
  async handle(request: unknown): Promise<SeedReplies[keyof SeedReplies]> {
    if (this.closed) throw new MembershipClosedError(`the seed table of cluster '${this.name}' was closed`);
    if (typeof request !== 'object' || request === null) {
      throw new ClusterArgumentError('seed request is not valid: give an object with an op');
    }
    const r = request as Record<string, unknown>;
    if (r.cluster !== this.name) {
      throw new ClusterArgumentError(
        `seed request for cluster ${JSON.stringify(String(r.cluster).slice(0, 64))} reached the seed of cluster '${this.name}': check the seeds' addresses`,
      );
    }
    const now = Date.now();
    this.expireMembers(now);
    switch (r.op) {
      case 'join': {
        const m = checkMember({ url: r.url, kinds: r.kinds });
        const ttl = checkTtl(r.ttlMs);
        if (!this.members.has(m.url) && this.members.size >= this.maxMembers) {
          throw new ClusterCapacityError(`cluster '${this.name}' already has ${this.maxMembers} members; ${m.url} cannot join`);
        }
        const incarnation = ++this.incarnations;
        this.members.set(m.url, { kinds: [...m.kinds], incarnation, ttlMs: ttl, expiresAt: now + ttl });
        this.changed();
        return { incarnation };
      }
      case 'renew': {
        const row = this.members.get(checkUrl(r.url));
        const ttl = checkTtl(r.ttlMs);
        if (row === undefined || row.incarnation !== checkCounter(r.incarnation, 'incarnation')) return { ok: false, kinds: [] };
        row.ttlMs = ttl;
        row.expiresAt = now + ttl;
        this.scheduleExpiry();
        return { ok: true, kinds: [...row.kinds] };
      }
      case 'leave': {
        const url = checkUrl(r.url);
        const row = this.members.get(url);
        if (row === undefined || row.incarnation !== checkCounter(r.incarnation, 'incarnation')) return { ok: false };
        this.members.delete(url);
        this.changed();
        return { ok: true };
      }
      case 'list': {
        const members: SeedMemberRow[] = [];
        for (const [url, row] of this.members) {
          members.push({ url, kinds: [...row.kinds], incarnation: row.incarnation, ttlMs: row.ttlMs, remainingMs: row.expiresAt - now });
        }
        return { members };
      }
      case 'watch':
        return this.watch(r.version, r.waitMs);
      case 'acquire': {
        const identity = checkIdentity(r.identity);
        const memberUrl = checkUrl(r.memberUrl, 'lease holder URL');
        const ttl = checkTtl(r.ttlMs);
        const held = this.liveActivation(identity, now);
        if (held !== undefined) {
          return { acquired: false, memberUrl: held.memberUrl, epoch: held.epoch, remainingMs: held.expiresAt - now };
        }
        if (this.activations.size >= this.maxActivations) this.sweepActivations(now);
        if (this.activations.size >= this.maxActivations) {
          throw new ClusterCapacityError(
            `the seed of cluster '${this.name}' holds ${this.maxActivations} activation leases; ${identity} cannot be activated (raise maxActivations)`,
          );
        }
        const epoch = ++this.epochs;
        this.activations.set(identity, { memberUrl, epoch, expiresAt: now + ttl });
        return { acquired: true, memberUrl, epoch, remainingMs: ttl };
      }
      case 'renewActivation':
      case 'release': {
        const identity = checkIdentity(r.identity);
        const memberUrl = checkUrl(r.memberUrl, 'lease holder URL');
        const epoch = checkCounter(r.epoch, 'epoch');
        const ttl = r.op === 'renewActivation' ? checkTtl(r.ttlMs) : 0;
        const held = this.liveActivation(identity, now);
        if (held === undefined || held.epoch !== epoch || held.memberUrl !== memberUrl) return { ok: false };
        if (r.op === 'release') this.activations.delete(identity);
        else held.expiresAt = now + ttl;
        return { ok: true };
      }
      case 'isCurrent': {
        const identity = checkIdentity(r.identity);
        const epoch = checkCounter(r.epoch, 'epoch');
        return { ok: this.liveActivation(identity, now)?.epoch === epoch };
      }
      default:
        throw new ClusterArgumentError(`seed request op ${JSON.stringify(String(r.op).slice(0, 32))} is not known`);
    }
  }

  /** A link to this table for members in this process (a direct call). */
  link(): SeedLink {
    return (request) => this.handle(request);
  }

  /** Ends the table: waiting watchers are answered, timers stop. */
  close(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const w of this.watchers) w.resolve();
  }

  private watch(version: unknown, waitMs: unknown): Promise<{ version: number }> | { version: number } {
    if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
      throw new ClusterArgumentError('watch version is not valid: give the integer the last watch answered');
    }
    if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0) {
      throw new ClusterArgumentError('watch waitMs is not valid: give a number of milliseconds');
    }
    if (version !== this.version) return { version: this.version };
    if (this.watchers.size >= this.maxWatchers) {
      throw new ClusterCapacityError(`the seed of cluster '${this.name}' already has ${this.maxWatchers} watchers waiting`);
    }
    return new Promise((resolve) => {
      const w = {
        resolve: () => {
          clearTimeout(w.timer);
          this.watchers.delete(w);
          resolve({ version: this.version });
        },
        timer: setTimeout(() => w.resolve(), Math.min(waitMs, MAX_WAIT_MS)),
      };
      w.timer.unref();
      this.watchers.add(w);
    });
  }

  private liveActivation(identity: string, now: number): ActivationRow | undefined {
    const row = this.activations.get(identity);
    if (row === undefined) return undefined;
    if (row.expiresAt > now) return row;
    this.activations.delete(identity);
    return undefined;
  }

  private sweepActivations(now: number): void {
    for (const [identity, row] of this.activations) if (row.expiresAt <= now) this.activations.delete(identity);
  }

  private expireMembers(now: number): void {
    let expired = false;
    for (const [url, row] of this.members) {
      if (row.expiresAt <= now) {
        this.members.delete(url);
        expired = true;
      }
    }
    if (expired) this.changed();
  }

  /** The member table changed: a new version, watchers answered, the expiry timer re-armed. */
  private changed(): void {
    this.version++;
    for (const w of [...this.watchers]) w.resolve();
    this.scheduleExpiry();
  }

  /** Expires members when their lease ends, so that watchers hear of it without a request. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.closed || this.members.size === 0) return;
    let next = Infinity;
    for (const row of this.members.values()) next = Math.min(next, row.expiresAt);
    this.expiryTimer = setTimeout(
      () => {
        this.expireMembers(Date.now());
        this.scheduleExpiry();
      },
      Math.max(0, next - Date.now()) + 1,
    );
    this.expiryTimer.unref();
  }
}

function checkTtl(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_TTL_MS) {
    throw new ClusterArgumentError(`ttlMs ${String(ms)} is not valid: give whole milliseconds in (0, ${MAX_TTL_MS}]`);
  }
  return ms;
}

/**
 * The Redis membership provider (ioredis). A member's lease is a key with a TTL, renewed by
 * the {@link Membership} every TTL/3; changes are published on a channel (a subscriber
 * connection hears them) and the table is re-read periodically; activation leases are keys
 * set with NX PX whose epoch comes from INCR, renewed and released only by their holder
 * (compare-and-set in Lua). The keys and scripts are described in ./redis-scripts.
 */
import Redis from 'ioredis';
import { ClusterCapacityError, MembershipClosedError, MembershipUnavailableError } from './errors';
import { leaseStatus, type MemberInfo, type MemberRecord } from './member';
import type { AcquireResult, ActivationLease, MembershipProvider, Unsubscribe } from './provider';
import { ACQUIRE, JOIN, LEAVE, LIST, RELEASE, RENEW, RENEW_ACTIVATION } from './redis-scripts';
import { checkCounter, checkIdentity, checkLease, checkMember, checkName, checkUrl, ttlMs } from './validate';

/** Options of {@link RedisMembership.connect}. */
export interface RedisMembershipOptions {
  /** The cluster's name. */
  name: string;
  /** The Redis server (default `redis://127.0.0.1:6379`). */
  url?: string;
  /** How long one command may take before it fails, in seconds (default 2). */
  commandTimeout?: number;
  /** The most members the table accepts (default 1000). */
  maxMembers?: number;
}

/** See the file comment. Create with {@link RedisMembership.connect}. */
export class RedisMembership implements MembershipProvider {
  readonly name: string;
  private readonly prefix: string;
  private readonly keys: { members: string; incarnation: string; epoch: string; channel: string };
  private subscriber: Redis | undefined;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(
    name: string,
    private readonly client: Redis,
    private readonly shownUrl: string,
    private readonly maxMembers: number,
  ) {
    this.name = name;
    this.prefix = `tsactor:{${name}}:`;
    this.keys = {
      members: `${this.prefix}members`,
      incarnation: `${this.prefix}incarnation`,
      epoch: `${this.prefix}epoch`,
      channel: `${this.prefix}changes`,
    };
  }

  /** Connects to Redis and checks that it answers; rejects with MembershipUnavailableError. */
  static async connect(options: RedisMembershipOptions): Promise<RedisMembership> {
    const name = checkName(options.name);
    const url = options.url ?? 'redis://127.0.0.1:6379';
    const timeout = ttlMs(options.commandTimeout ?? 2, 'commandTimeout');
    const shown = url.replace(/\/\/[^@/]*@/, '//');
    const client = new Redis(url, {
      lazyConnect: true,
      commandTimeout: timeout,
      connectTimeout: timeout,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // errors surface through the commands; the event only needs a listener
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      throw new MembershipUnavailableError(
        `Redis at ${shown} did not answer (${(e as Error).message}); check that it runs and the URL is right`,
        { cause: e },
      );
    }
    return new RedisMembership(name, client, shown, options.maxMembers ?? 1000);
  }

  async join(member: MemberInfo, ttl: number): Promise<MemberRecord> {
    const m = checkMember(member);
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const inc = Number(
      await this.call('join', () =>
        JOIN.run(
          this.client,
          [this.memberKey(m.url), this.keys.members, this.keys.incarnation],
          [m.url, ms, JSON.stringify(m.kinds), this.keys.channel, this.maxMembers],
        ),
      ),
    );
    if (inc < 0) {
      throw new ClusterCapacityError(
        `cluster '${this.name}' already has ${this.maxMembers} members; ${m.url} cannot join (raise maxMembers)`,
      );
    }
    return { url: m.url, kinds: m.kinds, status: 'up', leaseUntil: sentAt + ms, incarnation: inc };
  }

  async renew(url: string, incarnation: number, ttl: number): Promise<MemberRecord | null> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const v = await this.call('renew', () => RENEW.run(this.client, [this.memberKey(url)], [incarnation, ms]));
    if (typeof v !== 'string') return null;
    const parsed = parseMember(v);
    return { url, kinds: parsed.kinds, status: 'up', leaseUntil: sentAt + ms, incarnation };
  }

  async leave(url: string, incarnation: number): Promise<void> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    await this.call('leave', () => LEAVE.run(this.client, [this.memberKey(url), this.keys.members], [incarnation, url, this.keys.channel]));
  }

  async list(): Promise<MemberRecord[]> {
    const flat = (await this.call('list', () => LIST.run(this.client, [this.keys.members], [`${this.prefix}m:`]))) as unknown[];
    const now = Date.now();
    const out: MemberRecord[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const url = String(flat[i]);
      const remaining = Number(flat[i + 2]);
      const parsed = parseMember(String(flat[i + 1]));
      if (remaining <= 0) continue;
      out.push({
        url,
        kinds: parsed.kinds,
        status: leaseStatus(remaining, parsed.ttlMs),
        leaseUntil: now + remaining,
        incarnation: parsed.incarnation,
      });
    }
    return out.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  async subscribe(onChange: () => void): Promise<Unsubscribe> {
    this.assertOpen('subscribe');
    if (this.subscriber === undefined) {
      const sub = this.client.duplicate();
      sub.on('error', () => undefined);
      sub.on('message', (channel: string) => {
        if (channel === this.keys.channel) this.notify();
      });
      // after a reconnection (ioredis subscribes again) a message may have been missed
      let first = true;
      sub.on('ready', () => {
        if (!first) this.notify();
        first = false;
      });
      this.subscriber = sub;
      try {
        await sub.subscribe(this.keys.channel);
      } catch (e) {
        this.subscriber = undefined;
        sub.disconnect();
        throw this.unavailable('subscribe', e);
      }
    }
    this.listeners.add(onChange);
    return async () => {
      this.listeners.delete(onChange);
    };
  }

  async acquire(identity: string, memberUrl: string, ttl: number): Promise<AcquireResult> {
    checkIdentity(identity);
    checkUrl(memberUrl, 'lease holder URL');
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = (await this.call('acquire', () =>
      ACQUIRE.run(this.client, [this.activationKey(identity), this.keys.epoch], [memberUrl, ms]),
    )) as [unknown, unknown, unknown];
    const { epoch, holder } = parseActivation(String(r[1]));
    if (Number(r[0]) === 1) {
      return { acquired: true, lease: { identity, memberUrl, epoch, leaseUntil: sentAt + ms } };
    }
    return { acquired: false, holder: { identity, memberUrl: holder, epoch, leaseUntil: Date.now() + Number(r[2]) } };
  }

  async renewActivation(lease: ActivationLease, ttl: number): Promise<ActivationLease | null> {
    checkLease(lease);
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.call('renewActivation', () =>
      RENEW_ACTIVATION.run(this.client, [this.activationKey(lease.identity)], [`${lease.epoch} ${lease.memberUrl}`, ms]),
    );
    return Number(r) === 1 ? { ...lease, leaseUntil: sentAt + ms } : null;
  }

  async release(lease: ActivationLease): Promise<boolean> {
    checkLease(lease);
    const r = await this.call('release', () =>
      RELEASE.run(this.client, [this.activationKey(lease.identity)], [`${lease.epoch} ${lease.memberUrl}`]),
    );
    return Number(r) === 1;
  }

  async isCurrent(identity: string, epoch: number): Promise<boolean> {
    checkIdentity(identity);
    checkCounter(epoch, 'epoch');
    const v = await this.call('isCurrent', () => this.client.get(this.activationKey(identity)));
    return v !== null && parseActivation(v).epoch === epoch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.all([quit(this.subscriber), quit(this.client)]);
    this.subscriber = undefined;
  }

  /**
   * Deletes every key of this cluster (members, leases, counters). For tests and for
   * decommissioning a cluster; never while members run.
   */
  async destroy(): Promise<void> {
    this.assertOpen('destroy');
    let cursor = '0';
    do {
      const [next, keys] = await this.call('destroy', () => this.client.scan(cursor, 'MATCH', `tsactor:{${this.name}}:*`, 'COUNT', 500));
      if (keys.length > 0) await this.call('destroy', () => this.client.del(...keys));
      cursor = next;
    } while (cursor !== '0');
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  private memberKey(url: string): string {
    return `${this.prefix}m:${url}`;
  }

  private activationKey(identity: string): string {
    return `${this.prefix}a:${identity}`;
  }

  /** Runs one store operation, turning its failure into a MembershipUnavailableError. */
  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    this.assertOpen(what);
    try {
      return await op();
    } catch (e) {
      throw this.unavailable(what, e);
    }
  }

  private unavailable(what: string, e: unknown): MembershipUnavailableError {
    return new MembershipUnavailableError(
      `membership '${this.name}': ${what} failed on Redis at ${this.shownUrl}: ${(e as Error).message}`,
      { cause: e },
    );
  }

  private assertOpen(what: string): void {
    if (this.closed) {
      throw new MembershipClosedError(`cannot ${what}: the Redis membership of cluster '${this.name}' was closed`);
    }
  }
}

/** A member value: "<incarnation> <ttlMs> <kinds JSON>". */
function parseMember(v: string): { incarnation: number; ttlMs: number; kinds: string[] } {
  const a = v.indexOf(' ');
  const b = v.indexOf(' ', a + 1);
  const kinds: unknown = JSON.parse(v.slice(b + 1));
  return {
    incarnation: Number(v.slice(0, a)),
    ttlMs: Number(v.slice(a + 1, b)),
    kinds: Array.isArray(kinds) ? kinds.filter((k): k is string => typeof k === 'string') : [],
  };
}

/** An activation value: "<epoch> <member URL>". */
function parseActivation(v: string): { epoch: number; holder: string } {
  const a = v.indexOf(' ');
  return { epoch: Number(v.slice(0, a)), holder: v.slice(a + 1) };
}

/** Closes a connection: QUIT when it is up (pending replies arrive), else drop it. */
async function quit(client: Redis | undefined): Promise<void> {
  if (client === undefined) return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: drop it
    }
  }
  client.disconnect();
}

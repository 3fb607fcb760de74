/**
 * The PostgreSQL membership provider (pg). As Orleans' ADO.NET membership table: a members
 * table with a row per member and its lease end, and an activations table with a row per
 * identity, its fencing epoch and its holder. Leases are timestamps set and compared with the
 * database's clock (`now()`), so the members' clocks never matter. Joins and leaves send a
 * NOTIFY on channel `tsactor_members` (payload: the cluster name) that every provider LISTENs
 * to; the {@link Membership} also re-reads the table periodically.
 *
 * Clusters share the tables and stay apart by the `cluster` column. The tables, and the
 * sequence that numbers incarnations, are created when missing (under an advisory lock, so
 * that members starting together do not race).
 */
import { Client, Pool, type PoolConfig } from 'pg';
import { ClusterArgumentError, ClusterCapacityError, MembershipClosedError, MembershipUnavailableError } from './errors';
import { leaseStatus, type MemberInfo, type MemberRecord } from './member';
import type { AcquireResult, ActivationLease, MembershipProvider, Unsubscribe } from './provider';
import { checkCounter, checkIdentity, checkLease, checkMember, checkName, checkUrl, ttlMs } from './validate';

/** Options of {@link PostgresMembership.connect}. */
export interface PostgresMembershipOptions {
  /** The cluster's name. */
  name: string;
  /** The database (default: pg's defaults, i.e. the PG* environment variables). */
  url?: string;
  /** Prefix of the tables and sequence: `<prefix>_members`, `<prefix>_activations` (default `tsactor`). */
  tablePrefix?: string;
  /** How long one query may take before it fails, in seconds (default 2). */
  commandTimeout?: number;
  /** The most members the table accepts for this cluster (default 1000). */
  maxMembers?: number;
}

/** The channel every provider listens on; the payload is the cluster's name. */
const CHANNEL = 'tsactor_members';
const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/;

/** See the file comment. Create with {@link PostgresMembership.connect}. */
export class PostgresMembership implements MembershipProvider {
  readonly name: string;
  private readonly t: { members: string; activations: string; incarnations: string };
  private listener: Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(
    name: string,
    prefix: string,
    private readonly pool: Pool,
    private readonly config: PoolConfig,
    private readonly shownUrl: string,
    private readonly maxMembers: number,
  ) {
    this.name = name;
    this.t = { members: `${prefix}_members`, activations: `${prefix}_activations`, incarnations: `${prefix}_incarnations` };
  }

  /**
   * Connects, creates the tables when missing, and checks that the database answers;
   * rejects with MembershipUnavailableError.
   */
  static async connect(options: PostgresMembershipOptions): Promise<PostgresMembership> {
    const name = checkName(options.name);
    const prefix = options.tablePrefix ?? 'tsactor';
    if (!PREFIX.test(prefix)) {
      throw new ClusterArgumentError(
        `tablePrefix ${JSON.stringify(prefix)} is not valid: use 1 to 40 lower-case letters, digits or '_', not starting with a digit`,
      );
    }
    const timeout = ttlMs(options.commandTimeout ?? 2, 'commandTimeout');
    const config: PoolConfig = {
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
    };
    const shown = (options.url ?? 'postgres (PG* environment)').replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');
    const pool = new Pool(config);
    // a broken idle connection is replaced by the pool; the event only needs a listener
    pool.on('error', () => undefined);
    const p = new PostgresMembership(name, prefix, pool, config, shown, options.maxMembers ?? 1000);
    try {
      await p.createTables();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new MembershipUnavailableError(
        `PostgreSQL at ${shown} did not answer or refused the membership tables (${(e as Error).message}); check that it runs, the URL and the user's rights`,
        { cause: e },
      );
    }
    return p;
  }

  private async createTables(): Promise<void> {
    const { members, activations, incarnations } = this.t;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${members} schema`]);
      await client.query(`CREATE SEQUENCE IF NOT EXISTS ${incarnations}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${members} (
        cluster     text        NOT NULL,
        url         text        NOT NULL,
        kinds       text[]      NOT NULL,
        incarnation bigint      NOT NULL,
        ttl_ms      integer     NOT NULL,
        lease_until timestamptz NOT NULL,
        PRIMARY KEY (cluster, url))`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${activations} (
        cluster     text        NOT NULL,
        identity    text        NOT NULL,
        epoch       bigint      NOT NULL,
        member_url  text,
        lease_until timestamptz NOT NULL,
        PRIMARY KEY (cluster, identity))`);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async join(member: MemberInfo, ttl: number): Promise<MemberRecord> {
    const m = checkMember(member);
    const ms = ttlMs(ttl);
    const { members, incarnations } = this.t;
    const sentAt = Date.now();
    // expired rows of the cluster go first, so that they do not count against the bound
    await this.query('join', `DELETE FROM ${members} WHERE cluster = $1 AND lease_until <= now()`, [this.name]);
    const r = await this.query(
      'join',
      `WITH j AS (
         INSERT INTO ${members} AS m (cluster, url, kinds, incarnation, ttl_ms, lease_until)
         SELECT $1::text, $2::text, $3::text[], nextval('${incarnations}'), $4::integer, now() + $4::integer * interval '1 millisecond'
         WHERE (SELECT count(*) FROM ${members} WHERE cluster = $1 AND url <> $2) < $5
         ON CONFLICT (cluster, url) DO UPDATE SET kinds = EXCLUDED.kinds, incarnation = EXCLUDED.incarnation,
           ttl_ms = EXCLUDED.ttl_ms, lease_until = EXCLUDED.lease_until
         RETURNING incarnation)
       SELECT incarnation, pg_notify('${CHANNEL}', $1::text) FROM j`,
      [this.name, m.url, m.kinds, ms, this.maxMembers],
    );
    if (r.rows.length === 0) {
      throw new ClusterCapacityError(
        `cluster '${this.name}' already has ${this.maxMembers} members; ${m.url} cannot join (raise maxMembers)`,
      );
    }
    return { url: m.url, kinds: m.kinds, status: 'up', leaseUntil: sentAt + ms, incarnation: Number(r.rows[0]!.incarnation) };
  }

  async renew(url: string, incarnation: number, ttl: number): Promise<MemberRecord | null> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.query(
      'renew',
      `UPDATE ${this.t.members} SET lease_until = now() + $4::integer * interval '1 millisecond', ttl_ms = $4
       WHERE cluster = $1 AND url = $2 AND incarnation = $3 AND lease_until > now()
       RETURNING kinds`,
      [this.name, url, incarnation, ms],
    );
    if (r.rows.length === 0) return null;
    return { url, kinds: r.rows[0]!.kinds as string[], status: 'up', leaseUntil: sentAt + ms, incarnation };
  }

  async leave(url: string, incarnation: number): Promise<void> {
    checkUrl(url);
    checkCounter(incarnation, 'incarnation');
    await this.query(
      'leave',
      `WITH d AS (DELETE FROM ${this.t.members} WHERE cluster = $1 AND url = $2 AND incarnation = $3 RETURNING 1)
       SELECT pg_notify('${CHANNEL}', $1::text) FROM d`,
      [this.name, url, incarnation],
    );
  }

  async list(): Promise<MemberRecord[]> {
    const r = await this.query(
      'list',
      `SELECT url, kinds, incarnation, ttl_ms,
              (extract(epoch FROM lease_until - now()) * 1000)::float8 AS remaining
       FROM ${this.t.members} WHERE cluster = $1 AND lease_until > now() ORDER BY url COLLATE "C"`,
      [this.name],
    );
    const now = Date.now();
    return r.rows.map((row) => ({
      url: row.url as string,
      kinds: row.kinds as string[],
      status: leaseStatus(row.remaining as number, row.ttl_ms as number),
      leaseUntil: now + (row.remaining as number),
      incarnation: Number(row.incarnation),
    }));
  }

  async subscribe(onChange: () => void): Promise<Unsubscribe> {
    this.assertOpen('subscribe');
    if (this.listener === undefined) {
      try {
        await this.listen();
      } catch (e) {
        throw this.unavailable('subscribe', e);
      }
    }
    this.listeners.add(onChange);
    return async () => {
      this.listeners.delete(onChange);
    };
  }

  /**
   * Opens the LISTEN connection. When it breaks, it is opened again (every second while it
   * fails), and the subscribers are told to re-read: a NOTIFY may have been missed.
   */
  private async listen(): Promise<void> {
    const client = new Client(this.config);
    client.on('error', () => undefined);
    client.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload === this.name) this.notify();
    });
    client.on('end', () => {
      if (this.listener !== client || this.closed) return;
      this.listener = undefined;
      this.retryListen();
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.listener = client;
  }

  private retryListen(): void {
    this.listenerRetry = setTimeout(() => {
      if (this.closed) return;
      this.listen().then(
        () => this.notify(),
        () => this.retryListen(),
      );
    }, 1000);
    this.listenerRetry.unref();
  }

  async acquire(identity: string, memberUrl: string, ttl: number): Promise<AcquireResult> {
    checkIdentity(identity);
    checkUrl(memberUrl, 'lease holder URL');
    const ms = ttlMs(ttl);
    const a = this.t.activations;
    // The row of an identity is kept after release, so that its epoch only grows. The upsert
    // takes the row lock: of two contenders, the second sees the first's live lease.
    for (;;) {
      const sentAt = Date.now();
      const won = await this.query(
        'acquire',
        `INSERT INTO ${a} AS a (cluster, identity, epoch, member_url, lease_until)
         VALUES ($1, $2, 1, $3, now() + $4::integer * interval '1 millisecond')
         ON CONFLICT (cluster, identity) DO UPDATE
           SET epoch = a.epoch + 1, member_url = EXCLUDED.member_url, lease_until = EXCLUDED.lease_until
           WHERE a.member_url IS NULL OR a.lease_until <= now()
         RETURNING epoch`,
        [this.name, identity, memberUrl, ms],
      );
      if (won.rows.length === 1) {
        return { acquired: true, lease: { identity, memberUrl, epoch: Number(won.rows[0]!.epoch), leaseUntil: sentAt + ms } };
      }
      const held = await this.query(
        'acquire',
        `SELECT epoch, member_url, (extract(epoch FROM lease_until - now()) * 1000)::float8 AS remaining
         FROM ${a} WHERE cluster = $1 AND identity = $2 AND member_url IS NOT NULL AND lease_until > now()`,
        [this.name, identity],
      );
      if (held.rows.length === 1) {
        const row = held.rows[0]!;
        return {
          acquired: false,
          holder: {
            identity,
            memberUrl: row.member_url as string,
            epoch: Number(row.epoch),
            leaseUntil: Date.now() + (row.remaining as number),
          },
        };
      }
      // the holder's lease ended between the two statements: try again
    }
  }

  async renewActivation(lease: ActivationLease, ttl: number): Promise<ActivationLease | null> {
    checkLease(lease);
    const ms = ttlMs(ttl);
    const sentAt = Date.now();
    const r = await this.query(
      'renewActivation',
      `UPDATE ${this.t.activations} SET lease_until = now() + $5::integer * interval '1 millisecond'
       WHERE cluster = $1 AND identity = $2 AND epoch = $3 AND member_url = $4 AND lease_until > now()
       RETURNING epoch`,
      [this.name, lease.identity, lease.epoch, lease.memberUrl, ms],
    );
    return r.rows.length === 1 ? { ...lease, leaseUntil: sentAt + ms } : null;
  }

  async release(lease: ActivationLease): Promise<boolean> {
    checkLease(lease);
    const r = await this.query(
      'release',
      `UPDATE ${this.t.activations} SET member_url = NULL, lease_until = now()
       WHERE cluster = $1 AND identity = $2 AND epoch = $3 AND member_url = $4 AND lease_until > now()
       RETURNING epoch`,
      [this.name, lease.identity, lease.epoch, lease.memberUrl],
    );
    return r.rows.length === 1;
  }

  async isCurrent(identity: string, epoch: number): Promise<boolean> {
    checkIdentity(identity);
    checkCounter(epoch, 'epoch');
    const r = await this.query(
      'isCurrent',
      `SELECT 1 FROM ${this.t.activations}
       WHERE cluster = $1 AND identity = $2 AND epoch = $3 AND member_url IS NOT NULL AND lease_until > now()`,
      [this.name, identity, epoch],
    );
    return r.rows.length === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.listenerRetry);
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([listener?.end().catch(() => undefined), this.pool.end().catch(() => undefined)]);
  }

  /**
   * Deletes every row of this cluster (members and activation leases). For tests and for
   * decommissioning a cluster; never while members run. The shared tables stay.
   */
  async destroy(): Promise<void> {
    await this.query('destroy', `DELETE FROM ${this.t.members} WHERE cluster = $1`, [this.name]);
    await this.query('destroy', `DELETE FROM ${this.t.activations} WHERE cluster = $1`, [this.name]);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** Runs one query, turning its failure into a MembershipUnavailableError. */
  private async query(what: string, text: string, values: unknown[]) {
    this.assertOpen(what);
    try {
      return await this.pool.query<Record<string, unknown>>(text, values);
    } catch (e) {
      throw this.unavailable(what, e);
    }
  }

  private unavailable(what: string, e: unknown): MembershipUnavailableError {
    return new MembershipUnavailableError(
      `membership '${this.name}': ${what} failed on PostgreSQL at ${this.shownUrl}: ${(e as Error).message}`,
      { cause: e },
    );
  }

  private assertOpen(what: string): void {
    if (this.closed) {
      throw new MembershipClosedError(`cannot ${what}: the PostgreSQL membership of cluster '${this.name}' was closed`);
    }
  }
}

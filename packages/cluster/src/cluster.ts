/**
 * `joinCluster`: a process joins a named cluster as a member, over its gRPC host (created, or
 * one that already runs at the URL). Membership lives in Redis, PostgreSQL, the seed members,
 * or any {@link MembershipProvider}; virtual actors (`cluster.get(Class, key)`) are activated
 * on their owner, placed by rendezvous hashing over the live members that declare the kind.
 */
import { EventEmitter } from 'node:events';
import {
  AlreadyExistsError,
  attachChannel,
  attachIds,
  createHost,
  describe,
  getActorDefinition,
  getLocalHost,
  internDescription,
  isActorClass,
  makeProxy,
  reportError,
  router,
  HostDownError,
  shutdown,
  splitUrl,
  type ActorDescription,
  type Class,
  type HostOptions,
  type LocalHost,
  type Proxy,
} from '@tsactor/core/internal';
import { Activations, type ActivationRecord } from './activations';
import { addClusterChannel, clusterBase, ClusterChannel, removeClusterChannel } from './cluster-channel';
import { ClusterArgumentError, MembershipUnavailableError } from './errors';
import { ClusterSeed, directId, GATEWAY_DESCRIPTION, GatewayChannel, gatewayId, SEED_DESCRIPTION, seedId } from './gateway';
import type { MemberStatus } from './member';
import { Membership } from './membership';
import { Placement } from './placement';
import { PostgresMembership } from './postgres-membership';
import type { MembershipProvider } from './provider';
import { RedisMembership } from './redis-membership';
import { SeedMembership } from './seed-membership';
import type { SeedLink } from './seed-protocol';
import { SeedTable } from './seed-table';
import { checkIdentity, checkName, ttlMs } from './validate';

/** A member as `members()` and the events give it. */
export interface Member {
  /** the URL of the member's host, e.g. `grpc://10.0.0.5:1277/` */
  readonly url: string;
  /** the kinds (class names) it activates */
  readonly kinds: readonly string[];
  readonly status: MemberStatus;
}

/** Where the membership lives: a Redis or PostgreSQL URL, seed members, or a provider. */
export type MembershipOption = string | { readonly seeds: readonly string[] } | MembershipProvider;

/** The options of {@link joinCluster}. Durations in seconds. */
export interface ClusterOptions {
  /** The cluster's name: clusters sharing a store stay apart by it. */
  name: string;
  /** This member's host (`grpc://HOST:PORT/` or `grpcs://`): created, or the one already running there. */
  url: string;
  /**
   * `'redis://…'`, `'postgres://…'`, `{ seeds: ['grpc://…'] }` (the first seed keeps the table
   * in memory: for development and one machine), or a {@link MembershipProvider}.
   */
  membership: MembershipOption;
  /** The classes this member can activate (none: a member that only calls). */
  kinds?: readonly Class<unknown>[];
  /** Passivate an activation idle this long (default 300). */
  idleTimeout?: number;
  /** The lease TTL of the member and of each activation (default 3); renewed every TTL/3. */
  ttl?: number;
  /** The ask timeout of virtual actor proxies (default 10; null waits forever). */
  timeout?: number | null;
  /** As HostOptions: the shared secret peers must present. */
  token?: string;
  /** As HostOptions: grpcs:// certificates. */
  tls?: HostOptions['tls'];
  /** Other options of the host, when this call creates it. */
  host?: HostOptions;
}

/** The events of a {@link Cluster}. */
export interface ClusterEvents {
  /** A member joined (or renewed its lease again after being suspect). */
  'member-up': [member: Member];
  /** A member left or its lease ended. */
  'member-down': [member: Member];
  /** A virtual actor started serving on this member. */
  activated: [record: ActivationRecord];
  /** A virtual actor of this member stopped (idle, rebalanced, leaving, or its lease lost). */
  passivated: [record: ActivationRecord];
  /**
   * The store failed a read or renewal (retried), or this member's lease was lost (it joins
   * again by itself). Without a listener these go to the error reporter (`setErrorHandler`).
   */
  error: [error: Error];
}

/** A member of a cluster. See {@link joinCluster}. */
export class Cluster extends EventEmitter<ClusterEvents> {
  /** This member's URL (its host's base URL). */
  readonly url: string;
  closed = false;
  private readonly channel: ClusterChannel;
  private readonly activations: Activations;
  private readonly placement: Placement;
  private readonly base: string;
  private readonly descs = new WeakMap<Function, ActorDescription>();
  private rejoining = false;
  /** @internal */
  /** stops serving the direct ids of this member's identities (set once started) */
  private detachDirect: () => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly host: LocalHost,
    private readonly ownsHost: boolean,
    private readonly membership: Membership,
    private readonly provider: MembershipProvider,
    private readonly table: SeedTable | undefined,
    private readonly kinds: ReadonlyMap<string, { klass: Function; desc: ActorDescription }>,
    private readonly timeout: number | null,
    private readonly ttlMs: number,
    idleMs: number,
  ) {
    super();
    this.url = host.base;
    this.base = clusterBase(name);
    const ttl = ttlMs;
    this.placement = new Placement(membership, ttl * 2);
    const placement = this.placement;
    this.channel = new ClusterChannel({ name, self: this.url, placement });
    this.activations = new Activations({
      self: this.url,
      host,
      provider,
      placement: this.placement,
      kinds,
      ttlMs: ttl,
      marginMs: Math.max(50, Math.floor(ttl / 5)),
      idleMs,
      directPrefix: directId(name, ''),
      forward: (url, identity, method, args, reply, hop) =>
        this.channel.route(identity, identity.slice(0, identity.indexOf('/')), method, args, reply, hop, 0, url),
      activated: (r) => this.emit('activated', r),
      passivated: (r) => this.emit('passivated', r),
    });
    membership.on('member-up', (m) => this.changed('member-up', m));
    membership.on('member-down', (m) => this.changed('member-down', m));
    membership.on('store-error', (e) => this.failed(e));
    membership.on('lease-lost', (reason) => {
      // stop serving before the store can hand the identities to others, then come back
      this.activations.loseAll();
      this.failed(new MembershipUnavailableError(`member ${this.url} lost its lease in cluster '${name}' (${reason}); joining again`));
      void this.rejoin();
    });
  }

  /** The live members, sorted by URL. */
  members(): Member[] {
    return this.membership.members().map(toMember);
  }

  /** The identities active on this member (`<Kind>/<key>`). */
  activeHere(): string[] {
    return this.activations.active();
  }

  /**
   * The virtual actor `key` of `klass`, at once: its first call activates it on its owner.
   * Its id is `<Kind>/<key>` on whichever member runs it.
   */
  get<T>(klass: Class<T>, key: string): Proxy<T> {
    if (typeof klass !== 'function' || !isActorClass(klass)) {
      throw new ClusterArgumentError(`cluster.get(klass, key): ${shown(klass)} is not an @Actor class`);
    }
    if (typeof key !== 'string' || key.length === 0) {
      throw new ClusterArgumentError(`cluster.get(${klass.name}, key): the key must be a non-empty string, got ${JSON.stringify(key)}`);
    }
    const identity = checkIdentity(`${klass.name}/${key}`);
    let desc = this.descs.get(klass);
    if (desc === undefined) {
      desc = internDescription(describe(getActorDefinition(klass)));
      this.descs.set(klass, desc);
    }
    return makeProxy<T>({ url: this.base + identity, base: this.base, id: identity, desc }, { timeout: this.timeout });
  }

  /**
   * Leaves the cluster: this member's row goes (others route elsewhere), its activations
   * passivate once the calls they have are answered, and calls that still reach it go to the
   * new owners. Then the membership closes, and the host too when joinCluster created it.
   */
  async leave(): Promise<void> {
    if (this.closed) return;
    // stop taking activations first: the member-down of this member must not read as a rebalance
    const handedOver = this.activations.handOver();
    await this.membership.leave().catch((e: unknown) => this.failed(e as Error));
    this.placement.refresh();
    await handedOver;
    // callers whose view is a moment old still reach this gateway: it forwards their calls
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, this.ttlMs / 3)));
    await this.close();
  }

  /** Stops at once without handing over (activations stop; their leases end in the store). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    this.activations.close();
    this.detachDirect();
    removeClusterChannel(this.channel);
    await this.membership.close();
    await this.provider.close();
    this.table?.close();
    if (this.ownsHost) {
      await shutdown(this.host.url);
    } else if (!this.host.closed) {
      await this.host.stopActor(gatewayId(this.name)).catch(() => undefined);
      if (this.table !== undefined) await this.host.stopActor(seedId(this.name)).catch(() => undefined);
    }
  }

  /**
   * @internal Starts serving: the gateway on the host, the `cluster` transport, then the join.
   */
  async start(): Promise<void> {
    const gateway = new GatewayChannel(this.activations);
    attachChannel(this.host, gatewayId(this.name), gateway, GATEWAY_DESCRIPTION, () => gateway.close());
    try {
      this.detachDirect = attachIds(this.host, directId(this.name, ''), (id) => this.activations.target(id));
    } catch (e) {
      // another cluster joined on this host has a name with the same tag
      await this.host.stopActor(gatewayId(this.name)).catch(() => undefined);
      throw new AlreadyExistsError(
        `cluster '${this.name}' cannot be served on host ${this.host.url}: another cluster joined on this host has a name with the same short tag (${e instanceof Error ? e.message : String(e)}); rename one of them`,
      );
    }
    addClusterChannel(this.channel);
    await this.membership.join({ url: this.url, kinds: [...this.kinds.keys()] });
  }

  /**
   * An error of the membership: the 'error' event when someone listens, else the error
   * reporter (an 'error' event without a listener would throw out of a timer and end the
   * process, when these errors are retried and recovered from).
   */
  private failed(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else reportError(error, { actor: this.url, method: `cluster '${this.name}'`, kind: 'internal' });
  }

  private changed(event: 'member-up' | 'member-down', m: Parameters<typeof toMember>[0]): void {
    // the store says the member is gone: calls waiting on a silent connection to it fail now
    // (HostDownError), not at the transport's heartbeat timeout. Not when a new incarnation
    // at that URL replaced it: that member is up (e.g. back from a partition), and a
    // connection to it being made must not fail and get the member avoided
    if (event === 'member-down' && m.url !== this.url && !this.membership.members().some((x) => x.url === m.url)) {
      router.declareDown(m.url, new HostDownError(`cluster member ${m.url} is down (its lease in the membership store ended)`));
    }
    this.placement.refresh();
    this.activations.rebalance();
    this.emit(event, toMember(m));
  }

  private async rejoin(): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      while (!this.closed) {
        try {
          await this.membership.join({ url: this.url, kinds: [...this.kinds.keys()] });
          // the lease can be lost again while the join re-read the table (the store went away
          // again); that lease-lost found this loop still running, so it is this loop's to retry
          if (this.membership.member !== undefined) return;
        } catch (e) {
          this.failed(e as Error);
          await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        }
      }
    } finally {
      this.rejoining = false;
    }
  }
}

/** A class (or a wrong value in its place) for an error message. */
function shown(v: unknown): string {
  return typeof v === 'function' ? v.name || 'an anonymous class' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function toMember(m: { url: string; kinds: readonly string[]; status: MemberStatus }): Member {
  return { url: m.url, kinds: [...m.kinds], status: m.status };
}

/** Opens the membership provider named by `option`. */
async function openProvider(
  name: string,
  option: MembershipOption,
  host: LocalHost,
  timeout: number,
): Promise<{ provider: MembershipProvider; table?: SeedTable }> {
  if (typeof option === 'string') {
    if (/^rediss?:\/\//i.test(option)) return { provider: await RedisMembership.connect({ name, url: option }) };
    if (/^postgres(ql)?:\/\//i.test(option)) return { provider: await PostgresMembership.connect({ name, url: option }) };
    throw new ClusterArgumentError(
      `membership ${JSON.stringify(option.replace(/\/\/[^@/]*@/, '//'))} is not known: give 'redis://…', 'postgres://…', { seeds: ['grpc://…'] } or a MembershipProvider`,
    );
  }
  // the option comes from JavaScript callers too: checked as unknown
  const given: unknown = option;
  if (typeof given === 'object' && given !== null && 'seeds' in given) {
    const seeds = given.seeds;
    if (!Array.isArray(seeds) || seeds.length === 0 || typeof seeds[0] !== 'string') {
      throw new ClusterArgumentError(`membership { seeds } needs at least one seed URL, e.g. { seeds: ['grpc://127.0.0.1:4000/'] }`);
    }
    const seed = splitUrl(seeds[0]).base;
    if (seed === host.base) {
      const table = new SeedTable({ name });
      const made = host.spawn(seedId(name), ClusterSeed, [table]);
      if (made instanceof Promise) await made;
      return { provider: new SeedMembership({ name, link: table.link(), watchWait: 5 }), table };
    }
    const address = { url: seed + seedId(name), base: seed, id: seedId(name), desc: SEED_DESCRIPTION };
    const quick = makeProxy<ClusterSeed>(address, { timeout });
    const long = makeProxy<ClusterSeed>(address, { timeout: 5 + timeout });
    const link: SeedLink = async (req) => await (req.op === 'watch' ? long : quick).request(req);
    return { provider: new SeedMembership({ name, link, watchWait: 5 }) };
  }
  if (typeof given === 'object' && given !== null && typeof (given as Partial<MembershipProvider>).acquire === 'function') {
    return { provider: given as MembershipProvider };
  }
  throw new ClusterArgumentError(
    `membership option is not valid: give 'redis://…', 'postgres://…', { seeds: ['grpc://…'] } or a MembershipProvider`,
  );
}

/**
 * Joins cluster `options.name` as the member at `options.url` (see {@link ClusterOptions}):
 * creates the host when none runs there, starts the gateway that serves virtual actors of
 * `kinds`, joins the membership and resolves once this member is in the view.
 */
export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const given: unknown = options;
  if (typeof given !== 'object' || given === null)
    throw new ClusterArgumentError('joinCluster(options): give { name, url, membership, kinds }');
  const name = checkName(options.name);
  if (typeof options.url !== 'string' || !/^grpcs?:\/\//i.test(options.url)) {
    throw new ClusterArgumentError(
      `joinCluster: url ${JSON.stringify(options.url)} is not a gRPC host URL; give this member's host, e.g. 'grpc://10.0.0.5:1277/'`,
    );
  }
  const ttl = ttlMs(options.ttl ?? 3, 'ttl');
  const idle = ttlMs(options.idleTimeout ?? 300, 'idleTimeout');
  const timeout = options.timeout === undefined ? 10 : options.timeout;
  const kinds = new Map<string, { klass: Function; desc: ActorDescription }>();
  for (const k of options.kinds ?? []) {
    if (typeof k !== 'function' || !isActorClass(k)) {
      throw new ClusterArgumentError(`joinCluster: kind ${shown(k)} is not an @Actor class`);
    }
    if (kinds.has(k.name) && kinds.get(k.name)!.klass !== k) {
      throw new ClusterArgumentError(`joinCluster: two kinds are named '${k.name}'; kinds are told apart by class name`);
    }
    kinds.set(k.name, { klass: k, desc: internDescription(describe(getActorDefinition(k))) });
  }
  const { base } = splitUrl(options.url);
  let host = getLocalHost(base);
  const ownsHost = host === undefined;
  if (host === undefined) {
    const hostOptions: HostOptions = { ...options.host };
    if (options.token !== undefined) hostOptions.token = options.token;
    if (options.tls !== undefined) hostOptions.tls = options.tls;
    await createHost(base, hostOptions);
    host = getLocalHost(base)!;
  }
  let provider: MembershipProvider | undefined;
  let table: SeedTable | undefined;
  let membership: Membership | undefined;
  try {
    ({ provider, table } = await openProvider(name, options.membership, host, Math.max(1, ttl / 1000)));
    membership = new Membership(provider, { ttl: ttl / 1000 });
    const cluster = new Cluster(name, host, ownsHost, membership, provider, table, kinds, timeout, ttl, idle);
    try {
      await cluster.start();
    } catch (e) {
      await cluster.close().catch(() => undefined);
      throw e;
    }
    return cluster;
  } catch (e) {
    await membership?.close().catch(() => undefined);
    await provider?.close().catch(() => undefined);
    table?.close();
    if (ownsHost) await shutdown(base).catch(() => undefined);
    throw e;
  }
}

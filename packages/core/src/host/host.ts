/**
 * The Host: a container of actors that is itself an actor. `LocalHost` holds the state;
 * the `Host` actor class is what its proxy (HostProxy) talks to.
 */
import { ActorError, AlreadyExistsError, HostDownError, NotFoundError } from '../errors';
import type { ActorAddress, ActorChannel } from '../channel';
import { ActorCell } from '../actor/cell';
import {
  addMethodFlags,
  getActorDefinition,
  describe,
  withoutLocalFlags,
  ASK,
  AT_ONCE,
  PARALLEL,
  REF,
  TELL,
  type ActorDescription,
} from '../actor/metadata';
import { getHandle, makeProxy, type Proxy } from '../actor/proxy';
import type { StopReason } from '../actor/options';
import { deathWatch } from './watch';
import { splitUrl, internDescription } from '../wire/codec';
import { resolveSpawnClass } from './resolve-class';
import type { HostOptions } from './types';
import type { HostBinding, Runtime, SpawnedActor, TransportServer } from './registry';
import { router, notFound } from './router';
import { cancelTimersOf } from '../interval';

/** The Host actor: what a HostProxy calls. */
export class Host {
  constructor(private readonly local: LocalHost) {}

  spawn(id: string, klass: unknown, ...args: unknown[]): Proxy<unknown> | Promise<Proxy<unknown>> {
    return this.local.spawn(id, klass, args);
  }
  lookup(id: string): Proxy<unknown> {
    return this.local.lookup(id);
  }
  async lookupUrl(url: string, klass?: unknown, module?: string): Promise<Proxy<unknown>> {
    return this.local.lookupUrl(url, klass, module);
  }
  hasActor(id: string): boolean {
    return this.local.hasActor(id);
  }
  stopActor(id: string): void | Promise<void> {
    return this.local.stopNow(id);
  }
  /** The description of one of this host's actors (used by lookupUrl from other hosts). */
  describe(id: string): ActorDescription {
    return this.local.describe(id);
  }
  /**
   * Death watch from another process: `watcher` (a host) is told (`actorTerminated`) when
   * the actor `id` ends. Answers null, or the reason when it has ended already.
   */
  watchActor(id: string, watcher: unknown): StopReason | null {
    return this.local.watchActor(id, watcher);
  }
  /** Undoes {@link watchActor}. */
  unwatchActor(id: string, watcher: unknown): void {
    this.local.unwatchActor(id, watcher);
  }
  /** A remote host tells that an actor this process watches ended. */
  actorTerminated(url: unknown, reason: unknown): void {
    deathWatch.remoteEnded(url, reason);
  }
}
// spawn and lookup from this thread run at once when the host is idle (no queued message to
// keep them behind): no trip through the mailbox, no waiting for the dispatcher
addMethodFlags(Host.prototype.spawn, ASK | REF | AT_ONCE);
addMethodFlags(Host.prototype.lookup, ASK | REF | AT_ONCE);
addMethodFlags(Host.prototype.lookupUrl, ASK | REF | PARALLEL);
addMethodFlags(Host.prototype.hasActor, ASK);
addMethodFlags(Host.prototype.stopActor, ASK);
addMethodFlags(Host.prototype.describe, ASK);
addMethodFlags(Host.prototype.watchActor, ASK | REF);
addMethodFlags(Host.prototype.unwatchActor, TELL | REF);
addMethodFlags(Host.prototype.actorTerminated, TELL);

/** The description of every host (its flags as they travel: without AT_ONCE). */
export const HOST_DESCRIPTION: ActorDescription = internDescription({
  name: 'Host',
  methods: withoutLocalFlags(getActorDefinition(Host).methods),
});

/** What a host delivers a call for one of its ids to. */
export interface HostTarget {
  readonly channel: ActorChannel;
  readonly address: ActorAddress;
  /** the actor's cell when it lives on this thread (the call is queued on it directly) */
  readonly cell: ActorCell | null;
}

/** Gives the target of an id a host serves through `adoptPrefix`, or null when there is none. */
export type IdResolver = (id: string) => HostTarget | null;

/**
 * One actor of the host: its address (what proxies to it hold), and the target calls to its
 * id go to (one object per actor, which `target` returns as it is: nothing made per call).
 */
class Entry implements ActorAddress, HostTarget {
  /** set by {@link LocalHost.guard}: what calls to the actor's id go to instead of the actor */
  route: (() => HostTarget | null) | null = null;

  constructor(
    readonly url: string,
    readonly base: string,
    readonly id: string,
    readonly desc: ActorDescription,
    /** null once the actor is no longer the host's (the proxies that hold the entry keep none of it) */
    public actor: SpawnedActor | null,
  ) {}

  /** the actor's channel; once the host gave the actor up (a target taken before and kept), that of an unknown id */
  get channel(): ActorChannel {
    return this.actor === null ? notFound : this.actor.channel;
  }

  get cell(): ActorCell | null {
    return this.actor === null ? null : this.actor.cell;
  }

  get address(): ActorAddress {
    return this;
  }

  /** The actor, which the host gives up: the entry no longer holds it. */
  release(): SpawnedActor {
    const a = this.actor!;
    this.actor = null;
    return a;
  }
}

let created = 0;

/** How long a shutdown lets actors handle the messages already sent to them. */
const QUIESCE_SECONDS = 2;

export class LocalHost implements HostBinding {
  readonly url: string;
  readonly base: string;
  readonly id: string;
  readonly address: ActorAddress;
  readonly cell: ActorCell;
  /** the target of calls to the host itself */
  private readonly self: HostTarget;
  readonly seq = ++created;
  closed = false;
  private closing = false;
  runtime!: Runtime;
  server: TransportServer | null = null;
  private readonly actors = new Map<string, Entry>();
  private readonly reserved = new Set<string>();
  /** ids served by a resolver, by prefix (see adoptPrefix) */
  private prefixes: Map<string, IdResolver> | null = null;
  private prefixList: ReadonlyArray<{ readonly prefix: string; readonly resolve: IdResolver }> = [];
  /** ids under a prefix with a route of their own (see routeId), found without the prefix's resolver */
  private routes: Map<string, () => HostTarget | null> | null = null;
  /** cancelled when the host shuts down */
  readonly timers = new Set<{ cancel(): void }>();

  constructor(
    url: string,
    readonly options: Readonly<HostOptions>,
    readonly context: string,
  ) {
    const { base, id } = splitUrl(url);
    this.base = base;
    this.id = id;
    this.url = base + id;
    this.address = { url: this.url, base, id, desc: HOST_DESCRIPTION };
    this.cell = new ActorCell(id, this.url, getActorDefinition(Host), base);
    this.cell.instance = new Host(this);
    this.self = { channel: this.cell, address: this.address, cell: this.cell };
  }

  get timeout(): number {
    return this.options.timeout ?? 10;
  }

  get moduleRoot(): string {
    return this.options.moduleRoot ?? process.cwd();
  }

  target(id: string): HostTarget | null {
    if (id === '' || id === this.id) return this.self;
    const e = this.actors.get(id);
    if (e !== undefined) return e.route === null ? e : e.route();
    return this.prefixes === null ? null : this.targetByPrefix(id);
  }

  /**
   * @internal From now on, calls to actor `id` (from proxies of any host, and from peers)
   * reach `route()`'s target instead of the actor itself: for an owner that checks each call
   * before the actor may handle it (a cluster serves an activation only under a live lease).
   * Returns the actor's own target, which only the owner keeps; null when there is no such actor.
   */
  guard(id: string, route: () => HostTarget | null): HostTarget | null {
    const e = this.actors.get(id);
    if (e === undefined) return null;
    e.route = route;
    return { channel: e.channel, address: e, cell: e.cell };
  }

  /**
   * @internal Serves every id that starts with `prefix` (and is no actor's) through
   * `resolve`, which gives the channel and address of such an id, or null (no such target).
   * Returns the function that removes it. See `attachIds`.
   */
  adoptPrefix(prefix: string, resolve: IdResolver): () => void {
    this.checkOpen();
    if (prefix === '' || [...(this.prefixes?.keys() ?? [])].some((p) => p.startsWith(prefix) || prefix.startsWith(p))) {
      throw new AlreadyExistsError(`ids under '${prefix}' are already served on host ${this.url}; detach them first`);
    }
    (this.prefixes ??= new Map()).set(prefix, resolve);
    this.prefixList = [...this.prefixes].map(([p, r]) => ({ prefix: p, resolve: r }));
    return () => {
      if (this.prefixes?.get(prefix) !== resolve) return;
      this.prefixes.delete(prefix);
      this.prefixList = [...this.prefixes].map(([p, r]) => ({ prefix: p, resolve: r }));
      if (this.prefixes.size === 0) this.prefixes = null;
      if (this.routes !== null) for (const id of [...this.routes.keys()]) if (id.startsWith(prefix)) this.routes.delete(id);
    };
  }

  /**
   * @internal Calls to `id`, an id under a prefix this host serves (see adoptPrefix), reach
   * `route()`'s target without going through the prefix's resolver, until the returned
   * function is called (or the prefix is detached): for an id called often, whose resolver
   * would look it up for every call (an activation's direct id while it is active). Returns
   * null, and routes nothing, when `id` is under no prefix served here (any more).
   */
  routeId(id: string, route: () => HostTarget | null): (() => void) | null {
    if (!this.underPrefix(id)) return null;
    (this.routes ??= new Map()).set(id, route);
    return () => {
      if (this.routes?.get(id) === route) this.routes.delete(id);
    };
  }

  /** @internal How many ids have a route of their own (see routeId). */
  get routedIds(): number {
    return this.routes === null ? 0 : this.routes.size;
  }

  private targetByPrefix(id: string): HostTarget | null {
    const route = this.routes === null ? undefined : this.routes.get(id);
    if (route !== undefined) return route();
    // no iterator per call: this runs for every call to such an id
    const list = this.prefixList;
    for (let i = 0; i < list.length; i++) if (id.startsWith(list[i]!.prefix)) return list[i]!.resolve(id);
    return null;
  }

  private underPrefix(id: string): boolean {
    if (this.prefixes !== null) for (const prefix of this.prefixes.keys()) if (id.startsWith(prefix)) return true;
    return false;
  }

  /** A proxy to this host. */
  proxy(): Proxy<Host> {
    return makeProxy<Host>(this.address, { timeout: this.timeout });
  }

  /**
   * The proxy a Host method answers with. It belongs to no actor: every way an answer
   * leaves the host re-makes it for the asking actor (a `@Ref` answer on this thread) or
   * sends its address (other threads and hosts), so a caller outside actors gets it as it is.
   */
  private proxyTo(address: ActorAddress): Proxy<unknown> {
    return makeProxy(address, { timeout: this.timeout, owner: null });
  }

  /**
   * Spawns an actor. Synchronous when the runtime creates actors synchronously (the 'async'
   * runtime): no promise and no blocked host mailbox per spawn.
   */
  spawn(id: string, klass: unknown, args: unknown[]): Proxy<unknown> | Promise<Proxy<unknown>> {
    this.checkOpen();
    if (typeof id !== 'string' || id === '') {
      throw new TypeError(`spawn(id, klass): the id must be a non-empty string, got ${JSON.stringify(id)}`);
    }
    if (this.actors.has(id) || (this.reserved.size !== 0 && this.reserved.has(id)) || id === this.id || this.underPrefix(id)) {
      throw new AlreadyExistsError(`an actor with id '${id}' already exists on host ${this.url}; stop it first or choose another id`);
    }
    let cls: Function;
    let source: string | undefined;
    let def: ActorDescription;
    if (typeof klass === 'function') {
      // a class needs no module root and no resolving: its definition says where it comes from
      const d = getActorDefinition(klass);
      cls = klass;
      source = d.source;
      def = d;
    } else {
      ({ klass: cls, source } = resolveSpawnClass(klass, this.moduleRoot));
      def = getActorDefinition(cls);
    }
    const url = this.base + id;
    const made = this.runtime.spawn({ id, url, klass: cls, source, args, hostAddress: this.address, ended: this.actorEnded });
    if (typeof (made as Partial<PromiseLike<unknown>>).then !== 'function') {
      return this.register(id, url, def, made as SpawnedActor);
    }
    // the id stays taken while the runtime creates the actor
    this.reserved.add(id);
    return Promise.resolve(made).then(
      (actor) => {
        this.reserved.delete(id);
        return this.register(id, url, def, actor);
      },
      (e: unknown) => {
        this.reserved.delete(id);
        throw e;
      },
    );
  }

  /**
   * @internal Registers `actor` (made by the caller, not by the runtime) under `id`: calls
   * received for `id` go to its channel, `stopActor(id)` stops it. See `attachChannel`.
   */
  adopt(id: string, actor: SpawnedActor): Proxy<unknown> {
    this.checkOpen();
    if (typeof id !== 'string' || id === '') {
      throw new TypeError(`attachChannel(host, id, ...): the id must be a non-empty string, got ${JSON.stringify(id)}`);
    }
    if (this.actors.has(id) || this.reserved.has(id) || id === this.id || this.underPrefix(id)) {
      throw new AlreadyExistsError(`an actor with id '${id}' already exists on host ${this.url}; stop it first or choose another id`);
    }
    const e = new Entry(this.base + id, this.base, id, actor.desc, actor);
    this.actors.set(id, e);
    return this.proxyTo(e);
  }

  private register(id: string, url: string, def: ActorDescription, actor: SpawnedActor): Proxy<unknown> | Promise<never> {
    if (this.closed) {
      return Promise.resolve(actor.stop('shutdown')).then(() => {
        throw new HostDownError(`host ${this.url} shut down while spawning '${id}'`);
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a runtime plugin written in JavaScript may leave desc out
    const e = new Entry(url, this.base, id, actor.desc ?? describe(def), actor);
    this.actors.set(id, e);
    return this.proxyTo(e);
  }

  lookup(id: string): Proxy<unknown> {
    this.checkOpen();
    const t = this.target(id);
    if (t === null) throw new NotFoundError(`no actor '${id}' on host ${this.url}`);
    return this.proxyTo(t.address);
  }

  async lookupUrl(url: string, klass?: unknown, _module?: string): Promise<Proxy<unknown>> {
    this.checkOpen();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- callers from JavaScript may pass a URL object
    const { base, id } = splitUrl(String(url));
    const local = router.hosts.get(base);
    if (local !== undefined && (local === this || base.startsWith('local:'))) {
      const t = local.target(id);
      if (t === null) throw new NotFoundError(`no actor '${id}' on host ${base}`);
      return this.proxyTo(t.address);
    }
    if (base.startsWith('local:')) throw new HostDownError(`no host is running at ${base}`);
    if (id === '') return this.proxyTo({ url: base, base, id: '', desc: HOST_DESCRIPTION });
    if (typeof klass === 'function') {
      return this.proxyTo({ url: base + id, base, id, desc: internDescription(describe(getActorDefinition(klass))) });
    }
    const remoteHost = makeProxy<Host>({ url: base, base, id: '', desc: HOST_DESCRIPTION }, { timeout: this.timeout, owner: this.cell });
    const desc = await remoteHost.describe(id);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the description comes from the network
    if (desc === null || typeof desc !== 'object' || typeof desc.methods !== 'object') {
      throw new ActorError(`host ${base} sent a malformed description of '${id}'`, { code: 'MALFORMED' });
    }
    return this.proxyTo({ url: base + id, base, id, desc: internDescription(desc) });
  }

  hasActor(id: string): boolean {
    this.checkOpen();
    return this.actors.has(id);
  }

  async stopActor(id: string): Promise<void> {
    return this.stopNow(id);
  }

  /**
   * {@link stopActor}, synchronous when the actor stops synchronously (an actor on this
   * thread without an async `onStop`): the Host actor's mailbox is not held by a promise per
   * stop. Throws NotFoundError (and HostDownError) at once.
   */
  stopNow(id: string): void | Promise<void> {
    this.checkOpen();
    const e = this.actors.get(id);
    if (e === undefined) throw new NotFoundError(`no actor '${id}' on host ${this.url} to stop`);
    const actor = this.drop(id, e);
    let stopping: void | Promise<void> = undefined;
    try {
      stopping = actor.stop('stopped');
    } finally {
      // the end is told once the stop is over: now, unless an async onStop still runs
      if (stopping === undefined) deathWatch.ended(e.url, 'stopped');
    }
    if (stopping !== undefined) return Promise.resolve(stopping).finally(() => deathWatch.ended(e.url, 'stopped'));
  }

  lost(id: string, channel: ActorChannel, reason: StopReason = 'host-down'): void {
    const e = this.actors.get(id);
    if (e === undefined || e.channel !== channel) return;
    this.drop(id, e);
    deathWatch.ended(e.url, reason);
  }

  /** Takes actor `id` (its entry `e`) out of the host and cancels its timers; returns the actor. */
  private drop(id: string, e: Entry): SpawnedActor {
    this.actors.delete(id);
    cancelTimersOf(e.url);
    return e.release();
  }

  /** SpawnRequest.ended: an actor stopped by itself (one function per host, not per actor). */
  private readonly actorEnded = (id: string, channel: ActorChannel, reason: StopReason): void => {
    this.lost(id, channel, reason);
  };

  watchActor(id: unknown, watcher: unknown): StopReason | null {
    this.checkOpen();
    const w = getHandle(watcher);
    if (typeof id !== 'string' || w === undefined) {
      throw new ActorError(`watchActor(id, watcher): expected an actor id and a host proxy to tell`, { code: 'MALFORMED' });
    }
    const t = this.target(id);
    if (t === null) return deathWatch.recentEnd(this.base + id) ?? 'stopped';
    deathWatch.add(t.address, { addr: w.addr, from: this.base });
    return null;
  }

  unwatchActor(id: unknown, watcher: unknown): void {
    const w = getHandle(watcher);
    if (typeof id !== 'string' || w === undefined) return;
    const t = this.target(id);
    if (t !== null) deathWatch.remove(t.address.url, w.addr.url);
  }

  /** @internal the host's actors, for observation (the inspector, the mailbox depth gauge) */
  *inspectActors(): Iterable<{ readonly id: string; readonly address: ActorAddress; readonly cell: ActorCell | null }> {
    for (const [id, e] of this.actors) yield { id, address: e, cell: e.cell };
  }

  describe(id: string): ActorDescription {
    const t = this.target(id);
    if (t === null) throw new NotFoundError(`no actor '${id}' on host ${this.url}`);
    return describe(t.address.desc);
  }

  /** Stops every actor, timer, runtime and server of the host. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    await this.quiesce(QUIESCE_SECONDS);
    this.closed = true;
    if (router.hosts.get(this.base) === this) router.hosts.delete(this.base);
    router.closed.add(this.base);
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    const stops: Array<void | Promise<void>> = [];
    const ended = [...this.actors.values()];
    for (const e of ended) {
      cancelTimersOf(e.url);
      stops.push(e.release().stop('shutdown'));
    }
    this.actors.clear();
    void this.cell.stop('shutdown');
    const errors: unknown[] = [];
    for (const r of await Promise.allSettled(stops.map((s) => Promise.resolve(s)))) if (r.status === 'rejected') errors.push(r.reason);
    for (const e of ended) deathWatch.ended(e.url, 'shutdown');
    deathWatch.ended(this.url, 'shutdown');
    if (this.base !== this.url) deathWatch.ended(this.base, 'shutdown');
    try {
      if (this.server !== null) await this.server.close();
    } catch (e) {
      errors.push(e);
    }
    try {
      await this.runtime.shutdown();
    } catch (e) {
      errors.push(e);
    }
    if (errors.length > 0) throw new AggregateError(errors, `errors while shutting down host ${this.url}`);
  }

  /**
   * Lets every actor handle the messages already sent to it (until none of them has work it
   * can do now, or `seconds` pass), so that a shutdown right after a tell loses nothing.
   */
  private async quiesce(seconds: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), seconds * 1000);
    });
    try {
      for (;;) {
        const waits: Promise<boolean>[] = [];
        for (const e of this.actors.values()) {
          const a = e.actor!;
          if (a.quiesce !== undefined) waits.push(a.quiesce());
        }
        const waited = await Promise.race([Promise.all(waits).then((r) => r.some(Boolean)), deadline]);
        if (!waited) return;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new HostDownError(`host ${this.url} is shut down`);
  }
}

/**
 * Death watch: who is told when an actor ends, and with which {@link StopReason}.
 *
 * The main thread of a process keeps the registry (`deathWatch`). Watchers are actors (told
 * through their mailbox: their `onTerminated(ref, reason)` runs) or functions. An actor of
 * a worker thread registers through its thread's forwarder (the threads runtime passes it
 * to the main thread). An actor of a host of this process is watched directly: its host
 * reports every end (stopActor, failure, its worker dying, shutdown). An actor of another
 * process is watched by asking its host (`watchActor`) once per actor, with a host of this
 * process as the one to tell (`actorTerminated`); when a transport declares that peer down
 * (`router.peerDown(base)`), every watch on it ends with 'host-down'.
 */
import { ActorError, HostDownError, HostError, NotFoundError } from '../errors';
import { reportError, type ActorAddress } from '../channel';
import type { StopReason } from '../actor/options';
import { TERMINATED, watchesOf } from '../actor/lifecycle';
import { currentCell } from '../actor/current';
import type { ActorCell } from '../actor/cell';
import { getHandle, makeProxy, sendAsk, sendTell, type Proxy } from '../actor/proxy';
import { isHostAddress } from './host-address';
import { router } from './router';
// host.ts imports this module too: HOST_DESCRIPTION is read only when a watch is made
import { HOST_DESCRIPTION, type LocalHost } from './host';

/** A function told once when the actor it watches ends. */
export type WatchFunction = (ref: Proxy<unknown>, reason: StopReason) => void;

const REASONS: ReadonlySet<string> = new Set(['stopped', 'failed', 'host-down', 'shutdown']);

/** True when `v` is a StopReason. */
export function isStopReason(v: unknown): v is StopReason {
  return typeof v === 'string' && REASONS.has(v);
}

/** The most watchers one actor may have (a bound on what peers can make this registry hold). */
const MAX_WATCHERS = 4096;
/**
 * How many recent ends are remembered at least (so that a watch arriving late gets the right
 * reason): the last RECENT to 2 * RECENT of them, in two generations.
 */
const RECENT = 4096;

interface ActorWatcher {
  readonly addr: ActorAddress;
  /** the base of the local host to send from (null: any) */
  readonly from: string | null;
}

interface FunctionWatcher {
  readonly fn: WatchFunction;
  readonly ref: Proxy<unknown>;
}

interface Entry {
  readonly watched: ActorAddress;
  readonly actors: Map<string, ActorWatcher>;
  readonly fns: Set<FunctionWatcher>;
  /** the local host through which the remote host was asked to tell us (null: not asked) */
  remoteVia: LocalHost | null;
}

/** The registry of this process's watches (used on the main thread). */
export class DeathWatch {
  private readonly entries = new Map<string, Entry>();
  /** watcher URL -> URLs it watches (to drop its watches when it ends) */
  private readonly byWatcher = new Map<string, Set<string>>();
  /**
   * Recent ends by URL: the current generation, and the one before it. A full generation
   * becomes the old one and the one before is let go whole, so no end is ever deleted from
   * a map (a map with constant deletions rehashes over and over).
   */
  private recent = new Map<string, StopReason>();
  private older = new Map<string, StopReason>();

  /** How many actors are watched (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The base URLs of the other processes' hosts whose actors this process watches, of one
   * scheme (a transport that learns of deaths only by asking, such as AMQP, checks these
   * hosts while they are watched).
   */
  remoteBases(scheme: string): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries.values()) {
      const base = e.watched.base;
      if (base.startsWith(`${scheme}://`) && !this.isLocal(base)) out.add(base);
    }
    return out;
  }

  /** The reason the actor at `url` ended, if it ended recently. */
  recentEnd(url: string): StopReason | undefined {
    return this.recent.get(url) ?? this.older.get(url);
  }

  /** `watcher` (an actor, or a function with the proxy it watched) is told when `watched` ends. */
  add(watched: ActorAddress, watcher: ActorWatcher | FunctionWatcher): void {
    const gone = this.goneAlready(watched);
    if (gone !== null) {
      queueMicrotask(() => this.tell(watched.url, watcher, gone));
      return;
    }
    let e = this.entries.get(watched.url);
    if (e === undefined) {
      e = { watched, actors: new Map(), fns: new Set(), remoteVia: null };
      this.entries.set(watched.url, e);
    }
    if (e.actors.size + e.fns.size >= MAX_WATCHERS) {
      throw new ActorError(`${watched.url} has ${MAX_WATCHERS} watchers already; unwatch some before adding more`, { code: 'BAD_OPTION' });
    }
    if ('fn' in watcher) {
      e.fns.add(watcher);
    } else {
      e.actors.set(watcher.addr.url, watcher);
      let set = this.byWatcher.get(watcher.addr.url);
      if (set === undefined) this.byWatcher.set(watcher.addr.url, (set = new Set()));
      set.add(watched.url);
    }
    if (e.remoteVia === null && !this.isLocal(watched.base)) this.registerRemote(e, 'from' in watcher ? watcher.from : null);
  }

  /** Undoes {@link add} (nothing when there is no such watch). */
  remove(watchedUrl: string, watcher: string | FunctionWatcher): void {
    const e = this.entries.get(watchedUrl);
    if (e === undefined) return;
    if (typeof watcher === 'string') {
      e.actors.delete(watcher);
      this.unindex(watcher, watchedUrl);
    } else {
      e.fns.delete(watcher);
    }
    if (e.actors.size === 0 && e.fns.size === 0) this.drop(e);
  }

  /** The actor at `url` ended: each of its watchers is told once; its own watches end. */
  ended(url: string, reason: StopReason): void {
    this.remember(url, reason);
    const mine = this.byWatcher.get(url);
    if (mine !== undefined) for (const w of [...mine]) this.remove(w, url);
    const e = this.entries.get(url);
    if (e === undefined) return;
    this.entries.delete(url);
    for (const a of e.actors.values()) {
      this.unindex(a.addr.url, url);
      this.tell(url, a, reason);
    }
    for (const f of e.fns) this.tell(url, f, reason);
  }

  /** Keeps the reason `url` ended among the recent ends (see {@link RECENT}). */
  private remember(url: string, reason: StopReason): void {
    if (this.recent.size >= RECENT) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(url, reason);
  }

  /**
   * A peer host is down (a transport said so): every watch of an actor there ends with
   * 'host-down', and that host's own watches of ours are forgotten.
   */
  peerDown(base: string): void {
    if (this.isLocal(base)) return;
    for (const e of [...this.entries.values()]) {
      if (e.watched.base === base) this.ended(e.watched.url, 'host-down');
    }
    for (const e of [...this.entries.values()]) {
      for (const a of [...e.actors.values()]) if (a.addr.base === base) this.remove(e.watched.url, a.addr.url);
    }
  }

  /** A notice from a remote host that one of its actors we watch ended. */
  remoteEnded(url: unknown, reason: unknown): void {
    if (typeof url !== 'string' || !isStopReason(reason)) return;
    const e = this.entries.get(url);
    if (e === undefined || this.isLocal(e.watched.base)) return;
    this.ended(url, reason);
  }

  private isLocal(base: string): boolean {
    return router.hosts.has(base) || router.closed.has(base) || base.startsWith('local:');
  }

  /** The reason when `watched` has ended already (or its host is gone), else null. */
  private goneAlready(watched: ActorAddress): StopReason | null {
    const host = router.hosts.get(watched.base);
    if (host !== undefined) {
      if (host.target(watched.id) !== null) return null;
      return this.recentEnd(watched.url) ?? 'stopped';
    }
    if (router.closed.has(watched.base)) return this.recentEnd(watched.url) ?? 'shutdown';
    if (watched.base.startsWith('local:')) return 'host-down';
    return null;
  }

  private unindex(watcherUrl: string, watchedUrl: string): void {
    const set = this.byWatcher.get(watcherUrl);
    if (set !== undefined && set.delete(watchedUrl) && set.size === 0) this.byWatcher.delete(watcherUrl);
  }

  private drop(e: Entry): void {
    this.entries.delete(e.watched.url);
    const via = e.remoteVia;
    if (via === null || via.closed) return;
    e.remoteVia = null;
    sendTell(getHandle(remoteHostOf(e.watched.base, via))!, 'unwatchActor', [e.watched.id, via.proxy()]);
  }

  /** Asks the remote host of `e` to tell a host of this process when the actor ends. */
  private registerRemote(e: Entry, preferred: string | null): void {
    const scheme = e.watched.base.slice(0, e.watched.base.indexOf(':'));
    let via = preferred === null ? undefined : router.hosts.get(preferred);
    if (via === undefined || !via.base.startsWith(scheme + ':')) {
      via = undefined;
      for (const h of router.hosts.values()) {
        if (h.base.startsWith(scheme + ':') && !h.closed) {
          via = h;
          break;
        }
      }
    }
    if (via === undefined) {
      reportError(
        new HostError(
          `cannot be told when ${e.watched.url} ends: no ${scheme}:// host in this process for its host to tell; ` +
            `only its host going down will be noticed. Create a ${scheme}:// host first`,
          { code: 'NO_HOST' },
        ),
        { actor: e.watched.url, method: 'watch', kind: 'internal' },
      );
      return;
    }
    e.remoteVia = via;
    const url = e.watched.url;
    sendAsk<StopReason | null>(getHandle(remoteHostOf(e.watched.base, via))!, 'watchActor', [e.watched.id, via.proxy()]).then(
      (gone) => {
        if (isStopReason(gone) && this.entries.get(url) === e) this.ended(url, gone);
      },
      (err: unknown) => {
        if (this.entries.get(url) !== e) return;
        if (err instanceof HostDownError) this.ended(url, 'host-down');
        else if (err instanceof HostError && err.code === 'HOST_CLOSED') this.ended(url, 'shutdown');
        else if (err instanceof NotFoundError) this.ended(url, 'stopped');
        else reportError(err, { actor: url, method: 'watch', kind: 'internal' });
      },
    );
  }

  private tell(url: string, w: ActorWatcher | FunctionWatcher, reason: StopReason): void {
    if ('fn' in w) {
      try {
        w.fn(w.ref, reason);
      } catch (e) {
        reportError(e, { actor: url, method: 'watch callback', kind: 'callback' });
      }
      return;
    }
    const method = isHostAddress(w.addr) ? 'actorTerminated' : TERMINATED;
    try {
      router.resolve(w.addr, w.from ?? w.addr.base).send(w.addr, method, [url, reason], null);
    } catch (e) {
      reportError(e, { actor: w.addr.url, method: 'onTerminated', kind: 'internal' });
    }
  }
}

function remoteHostOf(base: string, via: LocalHost): Proxy<unknown> {
  return makeProxy({ url: base, base, id: '', desc: HOST_DESCRIPTION }, { timeout: via.timeout, owner: via.cell });
}

/** The registry of this thread (only the main thread's is used). */
export const deathWatch = new DeathWatch();
router.onPeerDown = (base) => deathWatch.peerDown(base);

/**
 * How a thread without the host of its actors (a worker of the 'threads' runtime) passes
 * its actors' watches to the thread that has it; set by that runtime.
 */
export type WatchForwarder = (op: 'watch' | 'unwatch', watched: ActorAddress, watcher: ActorCell) => void;

let forwarder: WatchForwarder | null = null;

/** @internal sets this thread's {@link WatchForwarder}. */
export function setWatchForwarder(f: WatchForwarder | null): void {
  forwarder = f;
}

function addressOf(proxy: unknown, what: string): ActorAddress {
  const h = getHandle(proxy);
  if (h === undefined) throw new TypeError(`${what}(proxy): expected an actor proxy, got ${String(proxy)}`);
  return h.addr;
}

function cellAddress(cell: ActorCell): ActorAddress {
  return { url: cell.url, base: cell.hostBase, id: cell.id, desc: cell.def };
}

/** @internal the actor `cell` watches `proxy` (ActorBase.watch). */
export function watchFrom(cell: ActorCell, proxy: unknown): void {
  const watched = addressOf(proxy, 'watch');
  let watching = watchesOf.get(cell);
  if (watching === undefined) watchesOf.set(cell, (watching = new Map<string, Proxy<unknown>>()));
  watching.set(watched.url, proxy as Proxy<unknown>);
  if (router.hosts.has(cell.hostBase)) deathWatch.add(watched, { addr: cellAddress(cell), from: cell.hostBase });
  else if (forwarder !== null) forwarder('watch', watched, cell);
  else throw new HostError(`${cell.url} cannot watch: no host of it in this thread`, { code: 'NO_HOST' });
}

/** @internal the actor `cell` no longer watches `proxy` (ActorBase.unwatch). */
export function unwatchFrom(cell: ActorCell, proxy: unknown): void {
  const watched = addressOf(proxy, 'unwatch');
  if (watchesOf.get(cell)?.delete(watched.url) !== true) return;
  if (router.hosts.has(cell.hostBase)) deathWatch.remove(watched.url, cell.url);
  else forwarder?.('unwatch', watched, cell);
}

/**
 * Death watch. `watch(proxy, fn)` calls `fn(proxy, reason)` once when the actor ends
 * (at once if it has ended already) and returns a function that undoes the watch. Inside an
 * actor's method, `watch(proxy)` without `fn` makes that actor the watcher: its
 * `onTerminated(ref, reason)` method is called through its mailbox (as `this.watch(proxy)`
 * of ActorBase does).
 * @example
 * ```ts
 * const stopWatching = watch(worker, (ref, reason) => console.log(`${ref.getId()} ended: ${reason}`));
 * ```
 */
export function watch(proxy: unknown, fn?: WatchFunction): () => void {
  if (fn === undefined) {
    const cell = currentCell();
    if (cell === null) {
      throw new TypeError(
        'watch(proxy) without a function watches from the actor whose method is running; outside actors pass one: watch(proxy, (ref, reason) => ...)',
      );
    }
    watchFrom(cell, proxy);
    return () => unwatchFrom(cell, proxy);
  }
  if (typeof fn !== 'function') throw new TypeError(`watch(proxy, fn): fn must be a function (ref, reason) => void, got ${String(fn)}`);
  const watched = addressOf(proxy, 'watch');
  if (router.hosts.size === 0 && !router.closed.has(watched.base) && !watched.base.startsWith('local:') && forwarder !== null) {
    throw new HostError(
      'watch(proxy, fn) needs a host in this thread; call it from the main thread, or use this.watch(proxy) inside an actor',
      {
        code: 'NO_HOST',
      },
    );
  }
  const w: FunctionWatcher = { fn, ref: proxy as Proxy<unknown> };
  deathWatch.add(watched, w);
  return () => deathWatch.remove(watched.url, w);
}

/** Undoes `watch(proxy)` made inside the running actor's method (as ActorBase's `this.unwatch(proxy)`). */
export function unwatch(proxy: unknown): void {
  const cell = currentCell();
  if (cell === null)
    throw new TypeError('unwatch(proxy) is called inside an actor; outside, call the function that watch(proxy, fn) returned');
  unwatchFrom(cell, proxy);
}

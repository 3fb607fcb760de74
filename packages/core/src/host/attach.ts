/**
 * Host-level ways to serve ids with channels instead of actors (one id, or every id under a
 * prefix through a resolver): calls the host receives for such an id (from the network, or
 * from proxies in this process) are handed to the channel's `send` at once, synchronously,
 * with the answer slot of the call. No mailbox, no cell: the channel decides where each call
 * goes (e.g. a router in front of other actors). Inbound checks still apply first: the method
 * must be one of the target's description, the arguments are decoded under the host's budgets.
 */
import type { ActorChannel } from '../channel';
import type { ActorDescription } from '../actor/metadata';
import type { Proxy } from '../actor/proxy';
import type { HostTarget, IdResolver, LocalHost } from './host';

/**
 * Serves `id` on `host` with `channel` (described by `desc`, which names the methods callers
 * may call). `host.stopActor(id)` removes it again (then `onStop` runs, if given). Throws
 * AlreadyExistsError when the id is taken.
 */
export function attachChannel(
  host: LocalHost,
  id: string,
  channel: ActorChannel,
  desc: ActorDescription,
  onStop?: () => void,
): Proxy<unknown> {
  return host.adopt(id, { channel, desc, cell: null, stop: () => onStop?.() });
}

/**
 * Serves every id under `prefix` on `host` (ids no actor has) through `resolve`, which gives
 * each id's channel and address (its description names what callers may call), or null when
 * the id names nothing (the caller gets NotFoundError). `resolve` gets ids from the network:
 * it checks them. Returns the function that stops serving them. Throws AlreadyExistsError
 * when `prefix` overlaps a prefix served already.
 */
export function attachIds(host: LocalHost, prefix: string, resolve: IdResolver): () => void {
  return host.adoptPrefix(prefix, resolve);
}

/**
 * Calls to `id`, an id under a prefix served with {@link attachIds}, reach `route()`'s target
 * without that prefix's resolver, until the returned function is called or the prefix is
 * detached: for ids called often whose resolver would look them up for every call. `route`
 * decides per call, as the resolver does (null: the caller gets NotFoundError). Returns null,
 * routing nothing, when no prefix served on `host` covers `id`.
 */
export function attachRoute(host: LocalHost, id: string, route: () => HostTarget | null): (() => void) | null {
  return host.routeId(id, route);
}

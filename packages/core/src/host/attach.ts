/**
 * A host-level way to serve an id with a channel instead of an actor: calls the host
 * receives for that id (from the network, or from proxies in this process) are handed to the
 * channel's `send` at once, synchronously, with the answer slot of the call. No mailbox, no
 * cell: the channel decides where each call goes (e.g. a router in front of other actors).
 * Inbound checks still apply first: the method must be one of `desc`, the arguments decoded
 * under the host's budgets.
 */
import type { ActorChannel } from '../channel';
import type { ActorDescription } from '../actor/metadata';
import type { Proxy } from '../actor/proxy';
import type { LocalHost } from './host';

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

/** Recognising the address of a host (the target of `spawn`, `lookup` ...) among actor addresses. */
import type { ActorAddress } from '../channel';

const own = Object.prototype.hasOwnProperty;

/**
 * True when `addr` is a host's address: its description is the Host actor's (named 'Host',
 * with its own `spawn` and `describe` methods). Descriptions come from the wire too, so the
 * check is on their content, not on object identity.
 */
export function isHostAddress(addr: ActorAddress): boolean {
  const d = addr.desc;
  return d.name === 'Host' && own.call(d.methods, 'spawn') && own.call(d.methods, 'describe');
}

/**
 * What runtimes, transports and supervisors report to observation: restarts, peer
 * connections, timeouts and dead letters. Each is a no-op while nothing observes.
 */
import type { DeadLetter } from '../channel';
import { observing } from './state';
import { recordDeadLetter, recordPeerMetric, recordRestartMetric, recordTimeout } from './telemetry';
import { countDeadLetter, countRestart } from './stats';

/** @internal an actor was restarted (by its supervisor); `why` says what failed */
export function recordRestart(url: string, why = ''): void {
  if (!observing.on) return;
  recordRestartMetric(url);
  countRestart(url, why);
}

/** A connection to a peer host, as the inspector lists it. */
export interface PeerState {
  readonly up: boolean;
  readonly transport: string;
  /** milliseconds since the epoch of the last change */
  readonly since: number;
}

/** the most peers remembered (connections to more are counted but not listed) */
const MAX_PEERS = 1000;
const peers = new Map<string, PeerState>();

/** @internal a transport's connection to the peer host `base` came up (`up`) or went down */
export function recordPeer(base: string, up: boolean, transport: string): void {
  if (!observing.on) return;
  recordPeerMetric(base, up, transport);
  if (peers.has(base) || peers.size < MAX_PEERS) peers.set(base, { up, transport, since: Date.now() });
}

/** @internal the peers whose connections came up or went down since observation began */
export function peerStates(): ReadonlyMap<string, PeerState> {
  return peers;
}

/** @internal an ask timed out (its caller stopped waiting) */
export function observeTimeout(target: string, method: string): void {
  recordTimeout(target, method);
}

/** @internal a dead letter */
export function observeDeadLetter(letter: DeadLetter): void {
  recordDeadLetter(letter.reason, letter.count);
  countDeadLetter(
    letter.target,
    `${letter.count === 1 ? `a ${letter.kind}` : `${letter.count} ${letter.kind}s`}${letter.method === '' ? '' : ` ${letter.method}()`} dropped (${letter.reason})`,
  );
}

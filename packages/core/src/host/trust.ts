/**
 * How far a host trusts its peers, from its options (SPEC §6.6): protected mode for hosts
 * served on a network address, and which peers get error stacks.
 */
import { isIP } from 'node:net';
import { HostError } from '../errors';
import type { HostOptions } from './types';

/** True for addresses that only this machine can reach: 127.0.0.0/8, ::1 and 'localhost'. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (h.toLowerCase() === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const lower = h.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** True when the host's options make peers prove who they are (a token, or TLS client certificates). */
export function authenticatesPeers(options: Readonly<HostOptions>): boolean {
  return (options.token !== undefined && options.token !== '') || (options.tls?.ca !== undefined && options.tls.ca !== '');
}

/**
 * Protected mode: a host served on an address other machines can reach, with neither a
 * token nor TLS client certificates, refuses to start unless `insecure: true` is given.
 * Transports that bind a network address call this before listening.
 */
export function checkProtectedMode(url: string, hostname: string, options: Readonly<HostOptions>): void {
  if (isLoopback(hostname) || authenticatesPeers(options) || options.insecure === true) return;
  throw new HostError(
    `refusing to serve ${url} on ${hostname}, an address other machines can reach, without authentication: give the host a shared secret ({ token }), or TLS with client certificates ({ tls: { cert, key, ca } }), or pass { insecure: true } if the network itself is trusted`,
    { code: 'PROTECTED_MODE' },
  );
}

/**
 * Whether an error sent to a peer keeps its stack (which holds local file paths): yes to
 * peers that proved the token or a client certificate and to loopback peers; to others
 * only with `exposeStacks: true`.
 */
export function stacksFor(options: Readonly<HostOptions>, peer: { authenticated: boolean; loopback: boolean }): boolean {
  return options.exposeStacks === true || peer.loopback || (peer.authenticated && authenticatesPeers(options));
}

/**
 * Authentication of AMQP messages between hosts that share a token (HostOptions.token).
 * The token itself never travels: a sender adds an HMAC-SHA256, keyed by the token, of
 * what a receiver acts on (the message id, the sender's floor, the reply queue and the
 * body), and the receiver checks it, in constant time, before anything else of the message
 * is used.
 */
import { createHmac } from 'node:crypto';
import { tokenMatches } from '@tsactor/core/internal';

/** The header that carries the MAC. */
export const MAC_HEADER = 'x-tsactor-mac';

/** The MAC of a message (base64). */
export function messageMac(token: string, messageId: string, floor: number, replyTo: string | undefined, body: Uint8Array): string {
  return createHmac('sha256', token)
    .update(`${messageId}\n${String(floor)}\n${replyTo ?? ''}\n`, 'utf8')
    .update(body)
    .digest('base64');
}

/** True when `given` (the MAC header) proves that the sender has `token`. */
export function macMatches(
  given: unknown,
  token: string,
  messageId: unknown,
  floor: number,
  replyTo: string | undefined,
  body: Uint8Array,
): boolean {
  if (typeof given !== 'string' || typeof messageId !== 'string') return false;
  return tokenMatches(given, messageMac(token, messageId, floor, replyTo, body));
}

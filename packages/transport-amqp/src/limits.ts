/** Size limits of the amqp:// transport, and the bound of what it keeps while the broker is away. */
import { DEFAULT_WIRE_LIMITS } from '@tsactor/core/internal';

/**
 * The largest call or answer (bytes of one envelope) sent or accepted; a larger one is
 * refused with a TOO_LARGE error. The same default as every transport (4 MiB).
 */
export const MAX_MESSAGE_SIZE = DEFAULT_WIRE_LIMITS.maxMessageBytes;

/**
 * The largest AMQP message (a batch of envelopes) accepted from the broker: a sender puts at
 * most 256 KiB of envelopes, or one envelope of up to MAX_MESSAGE_SIZE, in a batch.
 */
export const MAX_BATCH_SIZE = 2 * MAX_MESSAGE_SIZE;

/** Default of {@link AmqpLimits.maxQueuedBytes}. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** Bounds of the amqp:// transport (see {@link setAmqpLimits}). */
export interface AmqpLimits {
  /**
   * Bytes of messages a process keeps waiting to be published: while the broker is away,
   * blocks publishers (a memory or disk alarm), or does not take them as fast as they come
   * (the connection's `drain`). Past it, asks reject with MailboxFullError and tells are
   * reported as dead letters (reason 'overflow'). Default 64 MiB; TSACTOR_AMQP_MAX_QUEUED_BYTES
   * overrides it.
   */
  readonly maxQueuedBytes: number;
}

function fromEnv(): number {
  const raw = process.env.TSACTOR_AMQP_MAX_QUEUED_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_MAX_QUEUED_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new TypeError(`TSACTOR_AMQP_MAX_QUEUED_BYTES='${raw}' is not a positive whole number of bytes`);
  }
  return n;
}

let current: AmqpLimits | null = null;

/** The bounds in force. */
export function amqpLimits(): AmqpLimits {
  return (current ??= { maxQueuedBytes: fromEnv() });
}

/**
 * Sets the bounds of the amqp:// transport for this process (see {@link AmqpLimits}); what
 * is not given keeps its value. Takes effect at once, for every broker connection.
 * @example
 * ```ts
 * setAmqpLimits({ maxQueuedBytes: 16 * 1024 * 1024 });
 * ```
 */
export function setAmqpLimits(limits: Partial<AmqpLimits>): void {
  const m = limits.maxQueuedBytes;
  if (m !== undefined && (!Number.isSafeInteger(m) || m <= 0)) {
    throw new TypeError(`setAmqpLimits({ maxQueuedBytes }): expected a positive whole number of bytes, got ${String(m)}`);
  }
  current = { ...amqpLimits(), ...(m !== undefined ? { maxQueuedBytes: m } : {}) };
}

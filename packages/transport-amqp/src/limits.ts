/** Size limits of the amqp:// transport. */
import { DEFAULT_WIRE_LIMITS } from '@tsactor/core/internal';

/**
 * The largest call or answer (bytes of one envelope) sent or accepted; a larger one is
 * refused with a TOO_LARGE error. The same default as every transport (4 MiB).
 */
export const MAX_MESSAGE_SIZE = DEFAULT_WIRE_LIMITS.maxMessageBytes;

/** The largest AMQP message (a batch of envelopes) accepted from the broker. */
export const MAX_BATCH_SIZE = 64 * 1024 * 1024;

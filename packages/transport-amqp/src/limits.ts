/** Size limits of the amqp:// transport. */

/** Largest batch or envelope (bytes) sent; larger values are refused with an error. */
export const MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * The broker topology of amqp:// hosts. Every host has one durable queue, named after the
 * authority of its base URL ('amqp://127.0.0.1:1277/' -> 'tsactor:127.0.0.1:1277'), which
 * every other host publishes to through the default exchange. Answers to asks go to a
 * reply queue of the asking process (exclusive, server-named, made again after each
 * reconnect).
 */
import { HostError } from '@tsactor/core/internal';

/** The prefix of the queues of hosts. */
export const QUEUE_PREFIX = 'tsactor:';

/** The queue of the host at `base` ('amqp://authority/'). */
export function queueOf(base: string): string {
  const m = /^amqp:\/\/([^/]+)\/$/i.exec(base);
  if (m === null) throw new HostError(`'${base}' is not the base URL of an amqp:// host; expected amqp://host:port/`, { code: 'BAD_URL' });
  return QUEUE_PREFIX + m[1]!;
}

/** The prefix of the queues where hosts store their dedup table. */
export const STATE_QUEUE_PREFIX = 'tsactor-state:';

/** The queue where the host at `base` stores its dedup table (one message at most). */
export function stateQueueOf(base: string): string {
  return STATE_QUEUE_PREFIX + queueOf(base).slice(QUEUE_PREFIX.length);
}

/** The base URL of the host whose queue is `queue`. */
export function baseOfQueue(queue: string): string {
  return queue.startsWith(QUEUE_PREFIX) ? `amqp://${queue.slice(QUEUE_PREFIX.length)}/` : queue;
}

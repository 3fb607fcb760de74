/**
 * @tsactor/transport-amqp: amqp:// hosts over RabbitMQ (amqplib), with durable queues,
 * persistent messages, publisher confirms and de-duplication, so that no tell is lost or
 * handled twice across a broker restart.
 *
 * The broker comes from TSACTOR_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) and
 * setRabbitCredentials(user, password). 'tsactor' registers the transport.
 */
export { amqpTransport, amqpStats, amqpHostStats, waitForBroker, type AmqpHostStats } from './transport';
export { setRabbitCredentials, brokerConfig, DEFAULT_AMQP_URL, type BrokerConfig } from './config';
export { queueOf, stateQueueOf, QUEUE_PREFIX, STATE_QUEUE_PREFIX } from './names';
export { MAX_MESSAGE_SIZE, MAX_BATCH_SIZE, DEFAULT_MAX_QUEUED_BYTES, setAmqpLimits, amqpLimits, type AmqpLimits } from './limits';
export { PREFETCH } from './inbound';
export { MAC_HEADER } from './mac';
export type { NodeStats } from './connection';

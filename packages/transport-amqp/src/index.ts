/**
 * @tsactor/transport-amqp: amqp:// hosts over RabbitMQ (amqplib), with durable queues,
 * persistent messages, publisher confirms and de-duplication, so that no tell is lost or
 * handled twice across a broker restart.
 *
 * The broker comes from TSACTOR_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) and
 * setRabbitCredentials(user, password). 'tsactor' registers the transport.
 */
export { amqpTransport, amqpStats, waitForBroker } from './transport';
export { setRabbitCredentials, brokerConfig, DEFAULT_AMQP_URL, type BrokerConfig } from './config';
export { queueOf, QUEUE_PREFIX } from './names';
export { MAX_MESSAGE_SIZE, MAX_BATCH_SIZE } from './limits';
export type { NodeStats } from './connection';

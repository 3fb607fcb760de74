/** The server process of the amqplib baseline. Usage: node baseline-amqp-server.js TAG */
import type * as amqpTypes from 'amqplib';
import { onParentStop } from './child-process';
import { BaselineServer, Batcher, decode } from './baseline-stream';
import { brokerUrl, queueNames } from './baseline-amqp';

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const amqp = require('amqplib') as typeof amqpTypes;
  const q = queueNames(process.argv[2]!);
  const conn = await amqp.connect(brokerUrl(), { noDelay: true });
  onParentStop(() => conn.close());
  const ch = await conn.createChannel();
  await ch.assertQueue(q.requests, { durable: false, autoDelete: true });
  const srv = new BaselineServer(new Batcher((b) => void ch.sendToQueue(q.replies, b), 1));
  await ch.consume(q.requests, (m) => m && decode(m.content, srv.handle), { noAck: true });
  process.send!({ type: 'ready', url: q.requests });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

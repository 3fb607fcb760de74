/**
 * The bare baseline of the AMQP transport: plain amqplib between this process and a child
 * process through RabbitMQ on 127.0.0.1:5672, one AMQP message per message (sendToQueue on
 * a plain channel, transient queues), consumed with automatic acknowledgement, TCP_NODELAY
 * as the transport sets it, no framework. It makes none of the transport's promises
 * (persistent messages, publisher confirms, consumer acks, de-duplication) and does not
 * batch: what a hand-written amqplib program sends message by message.
 */
import * as path from 'node:path';
import type * as amqpTypes from 'amqplib';
import { ChildSide } from './child-process';
import { StreamBaseline } from './baseline-client';
import { Batcher, decode } from './baseline-stream';

export function brokerUrl(): string {
  return process.env.TSACTOR_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

export function queueNames(tag: string): { requests: string; replies: string } {
  return { requests: `tsactor-bench.${tag}.requests`, replies: `tsactor-bench.${tag}.replies` };
}

export class AmqpTarget extends StreamBaseline {
  private child: ChildSide | null = null;
  private conn: amqpTypes.ChannelModel | null = null;

  async setup(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const amqp = require('amqplib') as typeof amqpTypes;
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const q = queueNames(tag);
    this.conn = await amqp.connect(brokerUrl(), { noDelay: true });
    const ch = await this.conn.createChannel();
    await ch.assertQueue(q.replies, { durable: false, autoDelete: true });
    await ch.consume(q.replies, (m) => m && decode(m.content, this.handle), { noAck: true });
    this.child = await ChildSide.start(path.join(__dirname, 'baseline-amqp-server.js'), [tag]);
    this.out = new Batcher((b) => void ch.sendToQueue(q.requests, b), 1);
  }

  async teardown(): Promise<void> {
    await this.child?.stop();
    await this.conn?.close();
  }
}

/**
 * What the amqp:// transport promises about delivery, against the real broker:
 * - an ask is forgotten at its timeout: memory after 100,000 timed-out asks returns to
 *   where it was;
 * - the send queue is bounded and obeys the broker's flow control: during a memory alarm
 *   tells wait (not lost), past the bound they are reported as dead letters, and after the
 *   alarm every tell that was kept arrives, in order;
 * - a host process killed (SIGKILL) in the middle of 10,000 tells and started again at the
 *   same URL: every tell is handled, duplicates at most the prefetch window, the sender
 *   sees no error;
 * - the message of an ask is acknowledged before the answer is published;
 * - the dedup table survives a restart of the receiving process;
 * - what a killed run left at a URL is deleted before a suite runs (clearHosts).
 * The broker's memory watermark is restored whatever happens.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as amqp from 'amqplib';
import { TimeoutError, createHost, setDeadLetterHandler, shutdown, type DeadLetter } from 'tsactor';
import { EnvelopeKind, decodeFrame, encodeBatch, encodeEnvelope, serializeValue } from '@tsactor/core/internal';
import { PREFETCH, amqpStats, queueOf, setAmqpLimits, stateQueueOf, DEFAULT_MAX_QUEUED_BYTES } from '@tsactor/transport-amqp';
import { captureReports, errorOf, settle } from '@tsactor/testing';
import { Echo, type Counter } from './fixtures/actors';
import { brokerUrl, clearHosts, describeWithBroker, hostNames } from './broker';
import { Child, holdBrokerForSuite, tellEnvelope } from './processes';

/** host names of this file: amqp://127.0.0.1:18400/ and up */
const hosts = hostNames(18400, 20);
const url = hosts.next;

function tick(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `cond()` holds (something another process or the broker does), failing after `seconds`. */
async function until(what: string, cond: () => boolean | Promise<boolean>, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${seconds} s: ${what}`);
    await tick(20);
  }
}

function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

const restoreWatermark = (): Promise<string> => rabbitmqctl('set_vm_memory_high_watermark', '0.4');

/** Collects dead letters until `restore()`. */
function captureLetters(): { readonly letters: DeadLetter[]; restore(): void } {
  const letters: DeadLetter[] = [];
  const previous = setDeadLetterHandler((l) => letters.push(l));
  return { letters, restore: () => setDeadLetterHandler(previous) };
}

/** The garbage collector (exposed for this test), and the heap after a full collection. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await tick(10);
    gc();
  }
  return process.memoryUsage().heapUsed;
}

describeWithBroker('amqp delivery', () => {
  holdBrokerForSuite(hosts.all, restoreWatermark);

  it('100,000 asks that time out are all forgotten: none pending, and the heap returns to where it was', async () => {
    const serverUrl = url();
    const server = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
    try {
      await server.waitFor(`ready ${serverUrl}`);
      const me = await createHost(url());
      const c = (await me.lookupUrl<Counter>(`${serverUrl}c`)).withTimeout(0.3);
      const round = async (n: number): Promise<void> => {
        const all: Array<Promise<unknown>> = [];
        for (let i = 0; i < n; i++) all.push(settle(c.waitForever()));
        const outcomes = (await Promise.all(all)) as Array<{ ok: boolean; error?: unknown }>;
        expect(outcomes.filter((o) => !o.ok && o.error instanceof TimeoutError).length).toBe(n);
      };
      await round(5000); // warm-up: code, buffers, the reply queue
      const before = await heapAfterGc();
      for (let k = 0; k < 10; k++) await round(10_000);
      const stats = amqpStats().find((s) => s.state === 'up')!;
      expect(stats.pendingAsks).toBe(0);
      const after = await heapAfterGc();
      const grown = (after - before) / 1024 / 1024;
      process.stdout.write(`100,000 timed-out asks: heap ${(before / 1048576).toFixed(1)} MB -> ${(after / 1048576).toFixed(1)} MB\n`);
      // kept, each entry would hold its Future, message and closures: well over 20 MB
      expect(grown).toBeLessThan(8);
      await shutdown(me.getUrl());
    } finally {
      await server.interrupt();
    }
  }, 180_000);

  it('a broker memory alarm: tells wait in a bounded queue, the excess is reported as dead letters, and the rest arrive once it ends', async () => {
    const LIMIT = 64 * 1024;
    const { letters, restore: restoreLetters } = captureLetters();
    const serverUrl = url();
    const server = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
    try {
      await server.waitFor(`ready ${serverUrl}`);
      const me = await createHost(url());
      const c = await me.lookupUrl<Counter>(`${serverUrl}c`);
      expect(await c.count()).toBe(0);
      setAmqpLimits({ maxQueuedBytes: LIMIT });
      const stats = (): typeof amqpStats extends () => Array<infer S> ? S : never => amqpStats().find((s) => s.state === 'up')!;
      const blockedBefore = stats().blocked;
      await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
      let sent = 0;
      // the broker blocks a connection when it next publishes: tells go out until it does
      await until('the broker blocks the connection', () => {
        c.hit(sent++);
        return stats().blocked > blockedBefore;
      });
      const publishedWhenBlocked = stats().published;
      // now ten times the bound: tells wait, then overflow
      const droppedNumbers = new Set<number>();
      for (let i = 0; i < 5000; i++) {
        const before = letters.length;
        c.hit(sent);
        if (letters.length > before) droppedNumbers.add(sent); // reported at once, by the call itself
        sent++;
        if (i % 100 === 99) await tick(1);
      }
      await tick(200); // time the broker would take, were it publishing (nothing should happen)
      expect(stats().published).toBe(publishedWhenBlocked);
      expect(stats().queuedBytes).toBeGreaterThan(0);
      expect(stats().queuedBytes).toBeLessThanOrEqual(LIMIT);
      const dropped = letters.filter((l) => l.reason === 'overflow');
      expect(dropped.length).toBeGreaterThan(0);
      expect(dropped.every((l) => l.kind === 'tell' && l.method === 'hit' && l.target === `${serverUrl}c`)).toBe(true);
      expect(dropped[0]!.error?.message).toContain('maxQueuedBytes');
      // an ask at the bound rejects with MailboxFullError
      const full = errorOf(await settle(c.count()));
      expect((full as { code?: string }).code).toBe('MAILBOX_FULL');
      expect(droppedNumbers.size).toBe(dropped.length);
      const kept = Array.from({ length: sent }, (_, i) => i).filter((i) => !droppedNumbers.has(i));

      await restoreWatermark();
      const got = await c.withTimeout(60).received(kept.length);
      // every tell that was not reported arrives, in order, once
      expect(got).toEqual(kept);
      expect(stats().queuedBytes).toBe(0);
    } finally {
      setAmqpLimits({ maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES });
      await restoreWatermark();
      restoreLetters();
      await shutdown().catch(() => undefined);
      await server.interrupt();
    }
  }, 120_000);

  it('the receiving host killed (SIGKILL) in the middle of 10,000 tells and started again at its URL: every tell handled, few twice, no error at the sender', async () => {
    const N = 10_000;
    const PER_TURN = 20;
    const serverUrl = url();
    const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-amqp-')), 'journal');
    const capture = captureReports();
    const { letters, restore: restoreLetters } = captureLetters();
    let first: Child | undefined = new Child('packages/transport-amqp/test/fixtures/serve-journal.ts', [serverUrl, journal]);
    let second: Child | undefined;
    try {
      await first.waitFor(`ready ${serverUrl}`);
      const me = await createHost(url());
      const j = await me.lookupUrl<{ hit(i: number): void; reached(i: number): Promise<number> }>(`${serverUrl}j`);
      let sent = 0;
      const send = async (upTo: number): Promise<void> => {
        while (sent < upTo) {
          for (let k = 0; k < PER_TURN && sent < upTo; k++) j.hit(sent++);
          await tick(1);
        }
      };
      await send(N / 2);
      first.kill(); // mid-stream: tells of the last turns are in the queue, in the process, or being handled
      await first.exited;
      first = undefined;
      await send(N * 0.7); // to the queue, while no host serves it
      second = new Child('packages/transport-amqp/test/fixtures/serve-journal.ts', [serverUrl, journal]);
      await second.waitFor(`ready ${serverUrl}`);
      await send(N);
      expect(await j.withTimeout(60).reached(N - 1)).toBe(N - 1);

      const lines = fs
        .readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const counts = new Map<number, number>();
      for (const l of lines) counts.set(Number(l), (counts.get(Number(l)) ?? 0) + 1);
      const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i));
      const twice = [...counts.values()].filter((n) => n > 1).length;
      process.stdout.write(
        `SIGKILL mid-stream: ${N} tells handled, ${twice} of them twice (bound: ${PREFETCH} messages of at most ${PER_TURN} tells)\n`,
      );
      expect(missing).toEqual([]);
      expect(twice).toBeLessThanOrEqual(PREFETCH * PER_TURN);
      expect(capture.reports).toEqual([]);
      expect(letters).toEqual([]);
    } finally {
      capture.restore();
      restoreLetters();
      first?.kill();
      await second?.interrupt();
      await shutdown().catch(() => undefined);
    }
  }, 180_000);

  it("each suite starts clean: clearHosts deletes a URL's queue and stored dedup table that a killed run left on the broker", async () => {
    const u = url();
    const conn = await amqp.connect(brokerUrl());
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.assertQueue(queueOf(u), { durable: true, autoDelete: false, exclusive: false });
      await ch.assertQueue(stateQueueOf(u), { durable: true, autoDelete: false, exclusive: false, arguments: { 'x-max-length': 1 } });
      ch.sendToQueue(queueOf(u), encodeBatch([tellEnvelope('c', 'hit', [1])]), { messageId: 'raw.1', persistent: true });
      ch.sendToQueue(stateQueueOf(u), Buffer.from(JSON.stringify({ v: 1, senders: [['raw', 3, []]] })), { persistent: true });
      expect((await ch.checkQueue(queueOf(u))).messageCount).toBe(1);
      expect((await ch.checkQueue(stateQueueOf(u))).messageCount).toBe(1);
      await clearHosts([u]);
      // gone: checking a queue that does not exist fails (and closes the channel that asked)
      for (const q of [queueOf(u), stateQueueOf(u)]) {
        const check = await conn.createChannel();
        check.on('error', () => undefined);
        await expect(check.checkQueue(q)).rejects.toThrow(/NOT_FOUND/);
      }
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  it('the message of an ask is acknowledged before its answer goes out: a caller that saw the answer does not have the ask run again after a crash', async () => {
    const serverUrl = url();
    const host = await createHost(serverUrl);
    await host.spawn('e', Echo);
    const conn = await amqp.connect(brokerUrl());
    const ch = await conn.createChannel();
    const { queue: replyQueue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    // every channel of the process (the host's, its answers', this one) is of this class
    const proto = Object.getPrototypeOf(ch) as {
      ack(this: amqp.Channel, msg: amqp.Message, allUpTo?: boolean): void;
      publish(this: amqp.Channel, exchange: string, key: string, content: Buffer, options?: amqp.Options.Publish): boolean;
    };
    const { ack, publish } = proto;
    const order: string[] = [];
    proto.ack = function (msg, allUpTo) {
      if (msg.properties.messageId === 'raw.1') order.push('ack');
      ack.call(this, msg, allUpTo);
    };
    proto.publish = function (exchange, key, content, options) {
      if (key === replyQueue) order.push('answer');
      return publish.call(this, exchange, key, content, options);
    };
    try {
      const answered = new Promise<amqp.ConsumeMessage>((resolve) => {
        void ch.consume(replyQueue, (m) => m !== null && resolve(m), { noAck: true });
      });
      const ask = encodeEnvelope({
        kind: EnvelopeKind.ASK,
        id: 7,
        target: 'e',
        method: 'add',
        args: serializeValue([2, 3]),
        ctorArgs: null,
        value: null,
        sender: '',
      });
      ch.sendToQueue(queueOf(serverUrl), encodeBatch([ask]), { messageId: 'raw.1', replyTo: replyQueue, headers: { 'x-floor': 1 } });
      const [answer] = decodeFrame((await answered).content).batch;
      expect([answer.kind, answer.id]).toEqual([EnvelopeKind.RESULT, 7]);
      expect(order).toEqual(['ack', 'answer']);
    } finally {
      proto.ack = ack;
      proto.publish = publish;
      await conn.close().catch(() => undefined);
      await shutdown().catch(() => undefined);
    }
  });

  it('the dedup table survives a restart of the receiving process: a message handled before it is dropped after it', async () => {
    const serverUrl = url();
    const tell = (i: number): Uint8Array =>
      encodeEnvelope({
        kind: EnvelopeKind.TELL,
        id: 0,
        target: 'c',
        method: 'hit',
        args: serializeValue([i]),
        ctorArgs: null,
        value: null,
        sender: '',
      });
    const conn = await amqp.connect(brokerUrl());
    let server: Child | undefined;
    try {
      const ch = await conn.createConfirmChannel();
      const publish = async (i: number, messageId: string): Promise<void> => {
        ch.publish('', queueOf(serverUrl), encodeBatch([tell(i)]), { messageId, persistent: true, headers: { 'x-floor': 1 } });
        await ch.waitForConfirms();
      };
      server = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
      await server.waitFor(`ready ${serverUrl}`);
      await publish(1, 'raw.1');
      await publish(2, 'raw.2');
      const me = await createHost(url());
      const c = await me.lookupUrl<Counter>(`${serverUrl}c`);
      // a process of its own, started (and restarted below) with ts-node: under a loaded machine its first answers take a while
      expect(await c.withTimeout(60).received(2)).toEqual([1, 2]);
      // the table is stored on the broker (one message in the host's state queue): read without
      // taking it. It records what was acknowledged: once it holds raw.2 and the message of the
      // ask above (the one other sender), the broker delivers none of them again
      await until('the dedup table holds raw.2 and the ask', async () => {
        const m = await ch.get(stateQueueOf(serverUrl), { noAck: false });
        if (m === false) return false;
        ch.nack(m, false, true);
        const senders = (JSON.parse(m.content.toString()) as { senders: Array<[string, number, number[]]> }).senders;
        return senders.some(([id, low]) => id === 'raw' && low === 2) && senders.some(([id, low]) => id !== 'raw' && low >= 1);
      });
      server.kill();
      await server.exited;
      server = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
      await server.waitFor(`ready ${serverUrl}`);
      await publish(2, 'raw.2'); // a copy of a message the killed process handled
      await publish(3, 'raw.3');
      expect(await c.withTimeout(60).received(1)).toEqual([3]);
      expect(await c.withTimeout(60).count()).toBe(1);
    } finally {
      await conn.close().catch(() => undefined);
      await server?.interrupt();
      await shutdown().catch(() => undefined);
    }
  }, 120_000);
});

/**
 * The broker restarts (rabbitmqctl stop_app / start_app) while 10,000 tells flow from this
 * process to a Counter on an amqp:// host in another process: every tell arrives exactly
 * once, in the order sent; the ask in flight when the broker stops, and a new ask during the
 * outage, reject promptly with HostDownError; once the broker is back, new asks succeed
 * with neither host restarted. The broker is started again whatever happens (finally and
 * afterAll).
 */
import { HostDownError, createHost, shutdown } from 'tsactor';
import * as amqp from 'amqplib';
import { amqpStats, queueOf, waitForBroker } from '@tsactor/transport-amqp';
import { errorOf, settle, within } from '@tsactor/testing';
import type { Counter } from './fixtures/actors';
import {
  LOCK_TIMEOUT,
  brokerLock,
  brokerUrl,
  clearHosts,
  describeWithBroker,
  ensureBrokerRunning,
  startBroker,
  stopBroker,
} from './broker';
import { Child, requireBuilt, killChildren } from './processes';

const SERVER = 'amqp://127.0.0.1:18200/';
const CLIENT = 'amqp://127.0.0.1:18201/';
const N = 10_000;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** What the numbers a Counter received lack, repeat or have out of order (empty when they are 0..n-1). */
function gaps(got: number[], n: number): string {
  const seen = new Map<number, number>();
  for (const i of got) seen.set(i, (seen.get(i) ?? 0) + 1);
  const missing = range(n).filter((i) => !seen.has(i));
  const twice = [...seen].filter(([, c]) => c > 1).map(([i]) => i);
  let disorder = -1;
  for (let k = 1; k < got.length; k++)
    if (got[k]! < got[k - 1]!) {
      disorder = k;
      break;
    }
  const list = (xs: number[]): string => `${xs.length} [${xs.slice(0, 20).join(', ')}${xs.length > 20 ? ', ...' : ''}]`;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${list(missing)}`);
  if (twice.length > 0) parts.push(`received twice ${list(twice)}`);
  if (disorder >= 0) parts.push(`out of order at index ${disorder} (${got[disorder - 1]} then ${got[disorder]})`);
  return parts.join('; ');
}

/** The broker's view of the host's queue: messages ready, consumers (or why it could not tell). */
async function queueState(base: string): Promise<string> {
  try {
    const conn = await amqp.connect(brokerUrl(), { timeout: 5000 });
    try {
      const ch = await conn.createChannel();
      const q = await ch.checkQueue(queueOf(base));
      return `queue '${q.queue}': ${q.messageCount} message(s) ready, ${q.consumerCount} consumer(s)`;
    } finally {
      await conn.close().catch(() => undefined);
    }
  } catch (e) {
    return `queue state unknown (${(e as Error).message})`;
  }
}

/** Lets timers and I/O run (the tells are sent from a paced loop, not in one burst). */
function tick(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describeWithBroker('broker restart', () => {
  let release: (() => void) | undefined;
  let server: Child | undefined;

  beforeAll(async () => {
    requireBuilt();
    release = await brokerLock();
    await ensureBrokerRunning();
    await clearHosts([SERVER, CLIENT]);
    server = new Child('packages/transport-amqp/test/fixtures/serve.ts', [SERVER, 'counter']);
    await server.waitFor(`ready ${SERVER}`);
  }, LOCK_TIMEOUT);

  afterAll(async () => {
    try {
      await ensureBrokerRunning();
      await shutdown().catch(() => undefined);
      if (server !== undefined) {
        const code = await server.interrupt();
        const stats = server.lines.find((l) => l.startsWith('stats '));
        if (stats !== undefined) process.stdout.write(`broker restart, serving process: ${stats}\n`);
        expect({ code, stderr: server.stderr }).toEqual({ code: 0, stderr: '' });
      }
    } finally {
      killChildren();
      release?.();
    }
  }, 120_000);

  it('10,000 tells sent across stop_app/start_app arrive exactly once and in order; asks fail fast during the outage and work after it', async () => {
    const me = await createHost(CLIENT);
    const counter = await me.lookupUrl<Counter>(`${SERVER}counter`);
    let sent = 0;
    const send = (k: number, cap = N): void => {
      for (let j = 0; j < k && sent < cap; j++) counter.hit(sent++);
    };
    let stopped = false;
    try {
      // 1. the broker is up: tells flow, and an ask goes in flight (the counter never answers it)
      send(2000);
      expect(await counter.count()).toBeGreaterThanOrEqual(2000);
      const inFlight = counter.withTimeout(120).waitForever();

      // 2. stop the broker while tells keep coming: a steady stream of about 2,000 a second,
      //    each in a message of its own, so that some are unconfirmed when the connection drops
      const stopping = stopBroker().then(() => {
        stopped = true;
      });
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback above while the loop awaits
      while (!stopped) {
        for (let j = 0; j < 20; j++) {
          send(1, 5000);
          await Promise.resolve(); // the batch of this turn is published before the next tell
        }
        await tick(10);
      }
      await stopping;
      // the ask in flight was rejected when the connection dropped, long before its 120 s timeout
      const lost = errorOf(await within(inFlight, 1));
      expect(lost).toBeInstanceOf(HostDownError);
      expect(lost.message).toMatch(/RabbitMQ broker at amqp:\/\/guest@127\.0\.0\.1:5672/);
      // a new ask during the outage fails at once
      const during = errorOf(await within(counter.withTimeout(null).count(), 1));
      expect(during).toBeInstanceOf(HostDownError);
      expect(during.message).not.toContain('guest:guest');

      // 3. the broker is down: tells are kept by the sender
      send(1500, 6500);

      // 4. start it again, still sending
      let started = false;
      const starting = startBroker().then(() => {
        started = true;
      });
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback above while the loop awaits
      while (!started) {
        send(20, 8500);
        await tick(10);
      }
      await starting;
      stopped = false;

      // 5. the rest, once this process is connected again
      await waitForBroker(60);
      send(N);
      expect(sent).toBe(N);

      // new asks succeed with no host restarted (the server's process reconnects on its own;
      // until its consumer is back, an ask may be refused as host-down, so try a few times)
      let got: number[] | undefined;
      for (let attempt = 0; got === undefined; attempt++) {
        const o = await settle(counter.withTimeout(60).received(N));
        if (o.ok) got = o.value;
        else if (!(o.error instanceof HostDownError) || attempt >= 20) {
          // say what went wrong: tells lost or doubled, the consumer gone, or the answer lost
          const now = await settle(counter.withTimeout(10).received(0));
          const what = now.ok
            ? `the counter has ${now.value.length} of ${N} tells${now.value.length > 0 ? `: ${gaps(now.value, N) || 'all there, in order (the answer was lost)'}` : ''}`
            : `the counter does not answer either (${String(now.error)})`;
          throw new Error(`${String(o.error)}\n  ${what}\n  ${await queueState(SERVER)}\n  this process: ${JSON.stringify(amqpStats())}`);
        } else await tick(250);
      }
      expect(gaps(got, N)).toBe('');
      expect(got.length).toBe(N);
      expect(got).toEqual(range(N));
      expect(await counter.count()).toBe(N);

      const mine = amqpStats().find((s) => s.state === 'up')!;
      expect(mine.disconnects).toBeGreaterThanOrEqual(1);
      expect(mine.connects).toBeGreaterThanOrEqual(2);
      process.stdout.write(
        `broker restart: ${N} tells exactly once and in order; sender republished ${mine.republished} unconfirmed batch(es), ${mine.asksRejectedOnOutage} ask(s) rejected on the outage\n`,
      );
    } finally {
      await ensureBrokerRunning();
    }
  }, 240_000);
});

/**
 * Hostile AMQP peers: a raw amqplib publisher with access to the broker sends what a host
 * must survive, to a host with a token and to one without. During each attack a legitimate
 * peer's ask is answered within 1 s; afterwards the host's memory is bounded, and:
 * - messages without the MAC of the token, or with a wrong one, change nothing (the dedup
 *   table is unchanged, no tell reaches an actor);
 * - a forged message id with an x-floor far ahead does not make the host drop the real
 *   sender's later tells and asks (refused on the token host; contained on the other);
 * - malformed, truncated and oversized bodies are refused and the host goes on;
 * - a flood of distinct forged senders keeps the dedup table within its bound.
 */
import * as amqp from 'amqplib';
import { createHost, shutdown, type Proxy } from 'tsactor';
import { encodeBatch } from '@tsactor/core/internal';
import { queueOf } from '@tsactor/transport-amqp';
import { within } from '@tsactor/testing';
import { messageMac } from '../src/mac';
import { MAX_SENDERS } from '../src/dedup';
import type { Counter } from './fixtures/actors';
import { LOCK_TIMEOUT, brokerLock, brokerUrl, clearHosts, describeWithBroker, hostNames } from './broker';
import { Child, killChildren, requireBuilt, tellEnvelope } from './processes';

const TOKEN = 'guard-t0ken-9f2c';
/** host names of this file: amqp://127.0.0.1:18500/ and up */
const hosts = hostNames(18500, 10);
const url = hosts.next;

interface ProbeStats {
  senders: number;
  recorded: number;
  senderIds: readonly string[];
  heap: number;
}
interface Probe {
  stats(): ProbeStats;
}

const tell = tellEnvelope;

for (const guarded of [true, false]) {
  describeWithBroker(`hostile AMQP peers, host ${guarded ? 'with' : 'without'} a token`, () => {
    let release: (() => void) | undefined;
    let server: Child;
    let serverUrl: string;
    let conn: amqp.ChannelModel;
    let ch: amqp.ConfirmChannel;
    let c: Proxy<Counter>;
    let probe: Proxy<Probe>;
    /** the numbers the legitimate peer has told the counter */
    let told = 0;

    beforeAll(async () => {
      requireBuilt();
      release = await brokerLock();
      await clearHosts(hosts.all);
      serverUrl = url();
      server = new Child('packages/transport-amqp/test/fixtures/serve-guarded.ts', [serverUrl, guarded ? TOKEN : '-']);
      await server.waitFor(`ready ${serverUrl}`);
      const me = await createHost(url(), guarded ? { token: TOKEN } : {});
      c = await me.lookupUrl<Counter>(`${serverUrl}c`);
      probe = await me.lookupUrl<Probe>(`${serverUrl}probe`);
      conn = await amqp.connect(brokerUrl());
      ch = await conn.createConfirmChannel();
      // the legitimate peer is known to the host before any attack
      for (; told < 10; told++) c.hit(told);
      expect(await c.received(told)).toHaveLength(told);
    }, LOCK_TIMEOUT);

    afterAll(async () => {
      try {
        await conn.close().catch(() => undefined);
        await shutdown().catch(() => undefined);
        await server.interrupt();
      } finally {
        killChildren();
        release?.();
      }
    }, 60_000);

    /**
     * Runs `attack` while the legitimate peer tells and asks every 50 ms: each ask must be
     * answered within 1 s, and every tell must arrive.
     */
    async function underAttack(attack: () => Promise<void>): Promise<void> {
      const state = { attacking: true };
      const legit = (async () => {
        let asks = 0;
        while (state.attacking || asks < 3) {
          c.hit(told++);
          const o = await within(c.count(), 1);
          if (o === 'timer') throw new Error(`the legitimate ask count() got no answer within 1 s during the attack`);
          if (!o.ok) throw o.error;
          expect(o.value).toBeGreaterThan(0);
          asks++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      try {
        await attack();
      } finally {
        state.attacking = false;
        await legit;
      }
      const got = await c.withTimeout(10).received(told);
      expect(got).toEqual(Array.from({ length: told }, (_, i) => i));
    }

    /** Publishes raw messages in rounds of `round`, waiting for the broker's confirms after each. */
    async function publishAll(n: number, make: (i: number) => [Buffer, amqp.Options.Publish], round = 500): Promise<void> {
      for (let i = 0; i < n; i++) {
        const [body, opts] = make(i);
        ch.publish('', queueOf(serverUrl), body, opts);
        if (i % round === round - 1) await ch.waitForConfirms();
      }
      await ch.waitForConfirms();
    }

    /** The host's heap growth (MB) and dedup table across `fn`. */
    async function measured(fn: () => Promise<void>): Promise<{ before: ProbeStats; after: ProbeStats; grownMb: number }> {
      const before = await probe.stats();
      await fn();
      const after = await probe.stats();
      return { before, after, grownMb: (after.heap - before.heap) / 1048576 };
    }

    const hits = encodeBatch([tell('c', 'hit', [-1]), tell('c', 'hit', [-2])]);

    it('30,000 messages without the MAC of the token, each from a new sender id', async () => {
      // to the host without a token they are messages like any other: empty ones, so that only their ids count
      const body = guarded ? hits : encodeBatch([]);
      const r = await measured(() =>
        underAttack(() => publishAll(30_000, (i) => [body, { messageId: `forger${i}.1`, headers: { 'x-floor': 1 }, persistent: true }])),
      );
      if (guarded) {
        // refused before anything was recorded: the only sender known is still the legitimate peer
        expect(r.after.senders).toBe(r.before.senders);
        expect(r.after.senderIds).toEqual(r.before.senderIds);
      } else {
        // a host without a token records them; its table stays within its bound
        expect(r.after.senders).toBe(MAX_SENDERS);
      }
      expect(r.grownMb).toBeLessThan(guarded ? 16 : 32);
      expect(await c.count()).toBe(told);
    }, 120_000);

    if (guarded) {
      it('5,000 messages with a MAC made with a wrong token', async () => {
        const r = await measured(() =>
          underAttack(() =>
            publishAll(5000, (i) => {
              const messageId = `wrong${i}.1`;
              return [
                hits,
                {
                  messageId,
                  headers: { 'x-floor': 1, 'x-tsactor-mac': messageMac('not-the-token', messageId, 1, undefined, hits) },
                  persistent: true,
                },
              ];
            }),
          ),
        );
        expect(r.after.senders).toBe(r.before.senders);
        expect(r.after.senderIds).toEqual(r.before.senderIds);
        expect(await c.count()).toBe(told);
      }, 120_000);

      it('the token itself in a header (the old way) proves nothing', async () => {
        const before = await probe.stats();
        await publishAll(10, (i) => [
          hits,
          { messageId: `plain${i}.1`, headers: { 'x-floor': 1, 'x-tsactor-token': TOKEN }, persistent: true },
        ]);
        // the next ask is queued after them: when it runs, they were refused; its own message is the one recorded since
        const after = await probe.stats();
        expect(after.recorded).toBe(before.recorded + 1);
        expect(after.senderIds).toEqual(before.senderIds);
        expect(await c.count()).toBe(told);
      }, 60_000);
    }

    it('a forged message id of the real sender with an x-floor far ahead: its later tells and asks are still handled', async () => {
      const { senderIds } = await probe.stats();
      expect(senderIds.length).toBeGreaterThan(0);
      const empty = encodeBatch([]);
      await publishAll(senderIds.length * 3, (i) => {
        const id = senderIds[i % senderIds.length]!;
        const seq = [1e12, 1e6, 70_000][Math.floor(i / senderIds.length)]!;
        return [empty, { messageId: `${id}.${seq}`, headers: { 'x-floor': seq }, persistent: true }];
      });
      await underAttack(async () => {
        for (let k = 0; k < 100; k++) c.hit(told++);
      });
    }, 60_000);

    it('malformed, truncated and oversized bodies are refused and the host goes on', async () => {
      const valid = encodeBatch([tell('c', 'hit', [-3]), tell('c', 'hit', [-4])]);
      const huge = encodeBatch([tell('c', 'hit', ['x'.repeat(5 * 1024 * 1024)])]);
      const r = await measured(() =>
        underAttack(async () => {
          await publishAll(2000, (i) => {
            const messageId = `bad${i}.1`;
            const body =
              i % 4 === 0
                ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])
                : i % 4 === 1
                  ? valid.subarray(0, Math.max(1, valid.length - 3))
                  : i % 4 === 2
                    ? Buffer.from('{"__proto__":{"polluted":true},"constructor":1}')
                    : Buffer.alloc(0);
            const headers: Record<string, unknown> = { 'x-floor': 1 };
            if (guarded) headers['x-tsactor-mac'] = messageMac(TOKEN, messageId, 1, undefined, body);
            return [body, { messageId, headers, persistent: true }];
          });
          // a tell over the 4 MiB message limit, and a message over the 8 MiB batch limit
          const big = (body: Buffer, messageId: string): [Buffer, amqp.Options.Publish] => [
            body,
            {
              messageId,
              headers: guarded ? { 'x-floor': 1, 'x-tsactor-mac': messageMac(TOKEN, messageId, 1, undefined, body) } : { 'x-floor': 1 },
            },
          ];
          await publishAll(1, () => big(huge, 'big.1'));
          await publishAll(1, () => big(Buffer.alloc(9 * 1024 * 1024, 7), 'big.2'));
        }),
      );
      expect(r.grownMb).toBeLessThan(32);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // nothing of the attack reached the counter: only the legitimate tells, in order
      expect(await c.received(told)).toEqual(Array.from({ length: told }, (_, i) => i));
    }, 180_000);
  });
}

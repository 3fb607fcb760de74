/**
 * The amqp:// transport against the real broker: the broker's failures (unreachable,
 * refused credentials, silent) give clear and prompt errors without the password; hosts
 * that are not running, shut down or killed fail asks promptly and come back; one host per
 * URL across processes; duplicates, malformed and unauthenticated messages; remote spawn.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import { ActorError, HostDownError, HostError, NotFoundError, createHost, setRabbitCredentials, shutdown, type HostProxy } from 'tsactor';
import { EnvelopeKind, decodeFrame, encodeBatch, encodeEnvelope, serializeValue, unpackError } from '@tsactor/core/internal';
import { amqpStats, queueOf } from '@tsactor/transport-amqp';
import { captureReports, errorOf, settle, within } from '@tsactor/testing';
import { Counter, Echo, Relay } from './fixtures/actors';
import { brokerUrl, describeWithBroker, hostNames } from './broker';
import { Child, requireBuilt, holdBrokerForSuite, tellEnvelope } from './processes';

/** host names of this file: amqp://127.0.0.1:18300/ and up */
const hosts = hostNames(18300, 60);
const url = hosts.next;

/** Runs `fn` with TSACTOR_AMQP_URL (and other variables) set, then restores them. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describeWithBroker('amqp transport', () => {
  holdBrokerForSuite(hosts.all);

  describe('the broker', () => {
    it('unreachable: createHost fails at once with a HostError naming the broker, not the password', async () => {
      const port = await closedPort();
      const o = await withEnv({ TSACTOR_AMQP_URL: `amqp://guest:pa55word-xyz@127.0.0.1:${port}` }, () => within(createHost(url()), 5));
      const e = errorOf(o);
      expect(e).toBeInstanceOf(HostError);
      expect((e as HostError).code).toBe('BROKER_UNREACHABLE');
      expect(e.message).toContain(`amqp://guest@127.0.0.1:${port}`);
      expect(e.message).toContain('ECONNREFUSED');
      expect(e.message).toContain('TSACTOR_AMQP_URL');
      expect(e.message).not.toContain('pa55word-xyz');
    });

    it('refusing the credentials: a HostError naming the user and setRabbitCredentials, not the password', async () => {
      setRabbitCredentials('guest', 'not-the-password');
      try {
        const e = errorOf(await within(createHost(url()), 10));
        expect(e).toBeInstanceOf(HostError);
        expect((e as HostError).code).toBe('BROKER_AUTH');
        expect(e.message).toContain("user 'guest'");
        expect(e.message).toContain('amqp://guest@127.0.0.1:5672');
        expect(e.message).toContain('setRabbitCredentials');
        expect(e.message).not.toContain('not-the-password');
      } finally {
        setRabbitCredentials('guest', 'guest');
      }
      // with the right credentials again, hosts work
      const h = await createHost(url());
      expect(await h.hasActor('x')).toBe(false);
      await shutdown(h.getUrl());
    });

    it('silent (accepts TCP, never answers): fails after the connect timeout instead of hanging', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const o = await withEnv({ TSACTOR_AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}`, TSACTOR_AMQP_CONNECT_TIMEOUT: '0.3' }, () =>
          within(createHost(url()), 5),
        );
        const e = errorOf(o);
        expect(e).toBeInstanceOf(HostError);
        expect(e.message).toContain(`amqp://guest@127.0.0.1:${port}`);
        expect(e.message).toMatch(/0\.3 s|timeout/i);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('a TSACTOR_AMQP_URL that is not an amqp URL: a HostError that says so, without its password', async () => {
      const e = errorOf(await withEnv({ TSACTOR_AMQP_URL: 'http://bob:hunter22@127.0.0.1:5672' }, () => settle(createHost(url()))));
      expect(e).toBeInstanceOf(HostError);
      expect((e as HostError).code).toBe('BAD_BROKER_URL');
      expect(e.message).toContain('amqp://');
      expect(e.message).not.toContain('hunter22');
    });

    it('setRabbitCredentials refuses a bad user or password', () => {
      expect(() => setRabbitCredentials('', 'x')).toThrow(TypeError);
      expect(() => setRabbitCredentials(undefined as unknown as string, 'x')).toThrow(/user/);
      expect(() => setRabbitCredentials('u', 3 as unknown as string)).toThrow(/password/);
    });
  });

  describe('token', () => {
    it('a host with a token refuses senders without it', async () => {
      const friendUrl = url();
      const serverUrl = url();
      const outsiderUrl = url();
      // the first host is the main one: this test's own calls go out from it, with its token
      await createHost(friendUrl, { token: 's3cret-token' });
      try {
        const server = await createHost(serverUrl, { token: 's3cret-token' });
        const outsider = await createHost(outsiderUrl);
        const c = await server.spawn('c', Counter);
        expect(await c.count()).toBe(0);
        const relay = await outsider.spawn('relay', Relay);
        const e = errorOf(await settle(relay.countOf(c)));
        expect(e).toBeInstanceOf(HostError);
        expect((e as HostError).code).toBe('UNAUTHENTICATED');
        expect(e.message).toContain('token');
        expect(e.message).not.toContain('s3cret-token');
      } finally {
        await shutdown();
      }
    });
  });

  describe('shutdown', () => {
    it('shutdown() of several amqp hosts at once finishes and closes the connection', async () => {
      const urls = [url(), url(), url()];
      const hosts = [];
      for (const u of urls) hosts.push(await createHost(u));
      const c = await hosts[1]!.spawn('c', Counter);
      for (let i = 0; i < 1000; i++) c.hit(i);
      expect(await c.count()).toBe(1000);
      const o = await within(shutdown(), 15);
      expect(o).toEqual({ ok: true, value: undefined });
      expect(amqpStats().every((s) => s.state === 'closed')).toBe(true);
    });
  });

  describe('hosts', () => {
    let client: HostProxy;
    let clientUrl: string;
    beforeAll(async () => {
      clientUrl = url();
      client = await createHost(clientUrl);
    });
    afterAll(async () => {
      await shutdown(clientUrl).catch(() => undefined);
    });

    it('tell, ask, lookupUrl without the class, refs and remote spawn by module/Class', async () => {
      const serverUrl = url();
      await createHost(serverUrl, { moduleRoot: path.join(__dirname, 'fixtures') });
      try {
        const remote = (await client.lookupUrl(serverUrl)) as unknown as HostProxy;
        const e1 = await remote.spawn<Echo>('e1', 'actors/Echo');
        const e2 = await remote.spawn<Echo>('e2', Echo);
        e1.echo('one');
        e1.echo({ two: [2, new Map([['k', 1n]])] });
        expect(await e1.heard()).toEqual(['one', { two: [2, new Map([['k', 1n]])] }]);
        expect(await e1.add(40, 2)).toBe(42);
        const back = await e1.pass(e2, 'via ref');
        expect(back.equals(e2)).toBe(true);
        expect(await e2.heard()).toEqual(['via ref']);
        const looked = await client.lookupUrl<Echo>(`${serverUrl}e2`);
        expect(await looked.add(1, 1)).toBe(2);
        expect(errorOf(await settle(client.lookupUrl(`${serverUrl}nobody`)))).toBeInstanceOf(NotFoundError);
        const refused = errorOf(await settle(remote.spawn('e3', '../fixtures/actors/Echo')));
        expect((refused as ActorError).code).toBe('SPAWN_REFUSED');
      } finally {
        await shutdown(serverUrl);
      }
    });

    it('a host that refuses remote spawn says so', async () => {
      const serverUrl = url();
      await createHost(serverUrl, { remoteSpawn: false, moduleRoot: path.join(__dirname, 'fixtures') });
      try {
        const remote = (await client.lookupUrl(serverUrl)) as unknown as HostProxy;
        const e = errorOf(await settle(remote.spawn('x', 'actors/Echo')));
        expect(e).toBeInstanceOf(ActorError);
        expect((e as ActorError).code).toBe('SPAWN_REFUSED');
        expect(e.message).toContain('remoteSpawn');
      } finally {
        await shutdown(serverUrl);
      }
    });

    it('asks to a host that is not running fail at once with HostDownError; tells are reported', async () => {
      const nowhere = url();
      const capture = captureReports();
      try {
        const ghost = await client.lookupUrl<Counter>(`${nowhere}c`, Counter);
        const e = errorOf(await within(ghost.withTimeout(null).count(), 2));
        expect(e).toBeInstanceOf(HostDownError);
        expect(e.message).toContain(`no host is running at ${nowhere}`);
        ghost.hit(1);
        await settle(ghost.count());
        expect(capture.reports.some((r) => r.error instanceof HostDownError && r.info.method === 'hit')).toBe(true);
      } finally {
        capture.restore();
      }
    });

    it('a host process that dies: its asks fail within about a second; a new process at the URL is reached again; one host per URL', async () => {
      requireBuilt();
      const serverUrl = url();
      const first = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
      await first.waitFor(`ready ${serverUrl}`);
      // a second host at the URL, in this process, is refused: the other process serves it
      const dup = errorOf(await settle(createHost(serverUrl)));
      expect(dup).toBeInstanceOf(HostError);
      expect(dup.message).toContain('already running');

      const c = await client.lookupUrl<Counter>(`${serverUrl}c`);
      c.hit(7);
      expect(await c.count()).toBe(1);
      const inFlight = c.withTimeout(null).waitForever();
      expect(await c.count()).toBe(1); // the ask above has reached the actor
      first.kill();
      await first.exited;
      expect(errorOf(await within(inFlight, 2))).toBeInstanceOf(HostDownError);
      expect(errorOf(await within(c.withTimeout(null).count(), 2))).toBeInstanceOf(HostDownError);

      const second = new Child('packages/transport-amqp/test/fixtures/serve.ts', [serverUrl, 'c']);
      await second.waitFor(`ready ${serverUrl}`);
      c.hit(8);
      expect(await c.count()).toBe(1);
      await second.interrupt();
    }, 120_000);
  });

  describe('messages on the wire', () => {
    let conn: amqp.ChannelModel | undefined;
    let ch: amqp.ConfirmChannel;
    let replies: string;
    const answers: Array<{ id: number; kind: number; value: Uint8Array | null }> = [];
    let serverUrl: string;

    beforeAll(async () => {
      serverUrl = url();
      const server = await createHost(serverUrl);
      await server.spawn('c', Counter);
      conn = await amqp.connect(brokerUrl());
      ch = await conn.createConfirmChannel();
      replies = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.consume(
        replies,
        (m) => {
          if (m !== null) for (const env of decodeFrame(m.content).batch) answers.push({ id: env.id, kind: env.kind, value: env.value });
        },
        { noAck: true },
      );
    });
    afterAll(async () => {
      await conn?.close();
      await shutdown(serverUrl).catch(() => undefined);
    });

    const tell = tellEnvelope;

    async function publish(body: Buffer, messageId: string, replyTo?: string): Promise<void> {
      ch.publish('', queueOf(serverUrl), body, { messageId, persistent: true, replyTo, headers: { 'x-floor': 0 } });
      await ch.waitForConfirms();
    }

    it('a message delivered twice is handled once', async () => {
      const body = encodeBatch([tell('c', 'hit', [1]), tell('c', 'hit', [2])]);
      await publish(body, 'raw-sender.1');
      await publish(body, 'raw-sender.1');
      await publish(encodeBatch([tell('c', 'hit', [3])]), 'raw-sender.2');
      await publish(body, 'raw-sender.1');
      const client = await createHost(url());
      const c = await client.lookupUrl<Counter>(`${serverUrl}c`, Counter);
      expect(await c.received(3)).toEqual([1, 2, 3]);
      expect(await c.count()).toBe(3);
      await shutdown(client.getUrl());
    });

    it('malformed messages get an error answer or a report, and the host goes on', async () => {
      const capture = captureReports();
      try {
        await publish(Buffer.from([0xff, 0xff, 0xff, 0x0f]), 'raw-bad.1', replies);
        const badArgs = encodeEnvelope({
          kind: EnvelopeKind.ASK,
          id: 77,
          target: 'c',
          method: 'count',
          args: Buffer.from('J{not json'),
          ctorArgs: null,
          value: null,
          sender: '',
        });
        const unknown = encodeEnvelope({
          kind: EnvelopeKind.ASK,
          id: 78,
          target: 'c',
          method: 'nope',
          args: serializeValue([]),
          ctorArgs: null,
          value: null,
          sender: '',
        });
        const noActor = encodeEnvelope({
          kind: EnvelopeKind.ASK,
          id: 79,
          target: 'ghost',
          method: 'count',
          args: serializeValue([]),
          ctorArgs: null,
          value: null,
          sender: '',
        });
        await publish(encodeBatch([badArgs, unknown, noActor]), 'raw-bad.2', replies);
        const client = await createHost(url());
        const c = await client.lookupUrl<Counter>(`${serverUrl}c`, Counter);
        expect(await c.count()).toBeGreaterThanOrEqual(0); // the host still serves
        await shutdown(client.getUrl());
        const byId = new Map(answers.map((a) => [a.id, a]));
        const err = (id: number): Error => {
          const a = byId.get(id);
          expect(a?.kind).toBe(EnvelopeKind.ERROR);
          return unpackError(a!.value, { owner: null });
        };
        expect((err(77) as ActorError).code).toBe('MALFORMED');
        expect((err(78) as ActorError).code).toBe('UNKNOWN_METHOD');
        expect(err(78).message).toContain('nope');
        expect(err(79)).toBeInstanceOf(NotFoundError);
        expect(capture.reports.some((r) => /malformed message/.test(r.error.message))).toBe(true);
      } finally {
        capture.restore();
      }
    });
  });
});

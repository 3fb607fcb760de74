/**
 * Safety (SPEC §3): remote spawn limited to @Actor classes inside the module root (checked
 * before the constructor arguments are decoded) and refusable; only @Tell/@Ask methods
 * callable; a shared token; grpcs:// with TLS; malformed frames, unknown actors and unknown
 * methods answered with clear errors while the connection and the host go on.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHost, shutdown, setErrorHandler, ActorError, HostError, HostDownError, NotFoundError, type HostProxy } from 'tsactor';
import {
  EnvelopeKind,
  encodeEnvelope,
  encodeFrame,
  packValue,
  unpackError,
  unpackValue,
  makeProxy,
  internDescription,
  ASK,
  sendAsk,
  getHandle,
} from '@tsactor/core/internal';
import { freePort } from './helpers';
import { RawPeer } from './raw';
import type { Worker } from './fixtures/spawnables/workers';
import { Peer } from './fixtures/peer';

const FIXTURES = path.join(__dirname, 'fixtures');
const reports: string[] = [];
let restore: ReturnType<typeof setErrorHandler> | undefined;

beforeAll(() => {
  restore = setErrorHandler((e) => reports.push(e.message));
});
// every test starts with no host: calls from outside actors come from the main host (the oldest one)
afterEach(() => shutdown());
afterAll(() => {
  if (restore) setErrorHandler(restore);
});

async function errorOf(p: PromiseLike<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

async function pair(
  serverOptions: Parameters<typeof createHost>[1] = {},
  clientOptions: Parameters<typeof createHost>[1] = {},
  scheme = 'grpc',
  hostname = '127.0.0.1',
) {
  const serverUrl = `${scheme}://${hostname}:${await freePort()}/`;
  const clientUrl = `${scheme}://${hostname}:${await freePort()}/`;
  // the client first: it is then the main host, which calls from outside actors come from
  const client = await createHost(clientUrl, clientOptions);
  await createHost(serverUrl, serverOptions);
  const remote = await client.lookupUrl<HostProxy>(serverUrl);
  return { serverUrl, clientUrl, client, remote };
}

describe('remote spawn', () => {
  test("by default ('registered') a peer spawns only classes the host has loaded, and nothing is loaded for it", async () => {
    const { remote } = await pair({ moduleRoot: FIXTURES });
    const p = await remote.spawn<Peer>('by-name', 'Peer');
    expect(await p.echo('loaded')).toBe('loaded');
    const byClass = await remote.spawn<Peer>('by-class', Peer);
    expect(await byClass.echo('by class')).toBe('by class');
    const e = await errorOf(remote.spawn('never', 'spawnables/never-loaded/NeverLoaded'));
    expect(e.code).toBe('SPAWN_REFUSED');
    expect(e.message).toMatch(/has no @Actor class NeverLoaded loaded.*remoteSpawn: 'load'/);
    expect((globalThis as Record<string, unknown>).__neverLoadedRan).toBeUndefined();
  });

  test("spawns by 'module/Class' under the module root, with constructor arguments (remoteSpawn: 'load')", async () => {
    const { remote } = await pair({ moduleRoot: FIXTURES, remoteSpawn: 'load' });
    const w = await remote.spawn<Worker>('w1', 'spawnables/workers/Worker', 'hello');
    expect(await w.label()).toBe('hello');
  });

  test("'load' refuses absolute paths, .., files that are not code, classes without @Actor, missing modules and exports", async () => {
    const { remote } = await pair({ moduleRoot: FIXTURES, remoteSpawn: 'load' });
    const abs = await errorOf(remote.spawn('x1', `${FIXTURES}/spawnables/workers/Worker`));
    expect(abs).toBeInstanceOf(ActorError);
    expect(abs.code).toBe('SPAWN_REFUSED');
    expect(abs.message).toMatch(/absolute/);
    const up = await errorOf(remote.spawn('x2', '../fixtures/spawnables/workers/Worker'));
    expect(up.code).toBe('SPAWN_REFUSED');
    expect(up.message).toMatch(/'\.\.'/);
    const plain = await errorOf(remote.spawn('x3', 'spawnables/workers/NotAnActor'));
    expect(plain.code).toBe('SPAWN_REFUSED');
    expect(plain.message).toMatch(/@Actor/);
    expect(await errorOf(remote.spawn('x4', 'spawnables/nothing/Worker'))).toBeInstanceOf(NotFoundError);
    expect(await errorOf(remote.spawn('x5', 'spawnables/workers/Nobody'))).toBeInstanceOf(NotFoundError);
    // a file that is not code is never loaded, and the answer names no local path
    const secret = await errorOf(remote.spawn('x6', 'spawnables/secret.env/X'));
    expect(secret).toBeInstanceOf(NotFoundError);
    expect(secret.message).not.toContain(FIXTURES);
    expect(secret.message).not.toContain('PASSWORD');
    expect(await remote.hasActor('x3')).toBe(false);
  });

  test('a host created with remoteSpawn: false refuses every remote spawn', async () => {
    const { remote } = await pair({ moduleRoot: FIXTURES, remoteSpawn: false });
    const e = await errorOf(remote.spawn('w', 'spawnables/workers/Worker'));
    expect(e.code).toBe('SPAWN_REFUSED');
    expect(e.message).toMatch(/remoteSpawn: false/);
    const e2 = await errorOf(remote.spawn('p', Peer));
    expect(e2.code).toBe('SPAWN_REFUSED');
  });

  test('peers may not stop actors unless the host allows it (remoteStop)', async () => {
    const closed = await pair();
    await closed.remote.spawn('kept', Peer);
    const e = await errorOf(closed.remote.stopActor('kept'));
    expect(e.code).toBe('STOP_REFUSED');
    expect(e.message).toMatch(/remoteStop: true/);
    expect(await closed.remote.hasActor('kept')).toBe(true);
    await shutdown();
    const open = await pair({ remoteStop: true });
    await open.remote.spawn('gone', Peer);
    await open.remote.stopActor('gone');
    expect(await open.remote.hasActor('gone')).toBe(false);
  });

  test('the class is checked before the constructor arguments are decoded', async () => {
    const { serverUrl } = await pair({ moduleRoot: FIXTURES, remoteSpawn: 'load' });
    const raw = RawPeer.open(serverUrl.slice('grpc://'.length, -1));
    const garbage = Buffer.from([0x4a, 0x7b, 0x7b, 0x7b]); // 'J{{{': not JSON
    // a refused class with broken constructor arguments: the refusal, not a decoding error
    const refused = await raw.answer(raw.ask('', 'spawn', packValue(['z1', '../evil/Class'], { refs: false, where: 't' }), garbage));
    expect(refused.kind).toBe(EnvelopeKind.ERROR);
    expect((unpackError(refused.value, { owner: null }) as ActorError).code).toBe('SPAWN_REFUSED');
    // an allowed class with the same broken arguments: now they are decoded, and refused as malformed
    const bad = await raw.answer(
      raw.ask('', 'spawn', packValue(['z2', 'spawnables/workers/Worker'], { refs: false, where: 't' }), garbage),
    );
    expect((unpackError(bad.value, { owner: null }) as ActorError).code).toBe('MALFORMED');
    // constructor arguments smuggled into the head are refused too
    const smuggled = await raw.answer(
      raw.ask('', 'spawn', packValue(['z3', 'spawnables/workers/Worker', 'x'], { refs: false, where: 't' })),
    );
    expect((unpackError(smuggled.value, { owner: null }) as ActorError).code).toBe('MALFORMED');
    raw.close();
  });
});

describe('messages the host cannot handle get clear errors; the connection and the host survive', () => {
  test('unknown actor, unknown method, a method that is neither @Tell nor @Ask', async () => {
    const { serverUrl, client } = await pair();
    const server = await client.lookupUrl<HostProxy>(serverUrl);
    await server.spawn('peer', Peer);
    const ghost = makeProxy<{ echo(x: number): number }>(
      { url: `${serverUrl}ghost`, base: serverUrl, id: 'ghost', desc: internDescription({ name: 'Peer', methods: { echo: ASK } }) },
      { owner: null },
    );
    const nf = await errorOf(ghost.echo(1));
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.message).toMatch(/no actor 'ghost'/);
    const fake = makeProxy<{ nope(): number }>(
      { url: `${serverUrl}peer`, base: serverUrl, id: 'peer', desc: internDescription({ name: 'Peer', methods: { nope: ASK } }) },
      { owner: null },
    );
    const um = await errorOf(fake.nope());
    expect(um.code).toBe('UNKNOWN_METHOD');
    expect(um.message).toMatch(/no @Tell or @Ask method 'nope'/);
    // a proxy never has a method named 'constructor': sent by hand, the host refuses it too
    expect((await errorOf(sendAsk(getHandle(fake)!, 'constructor', []))).code).toBe('UNKNOWN_METHOD');
    const peer = await client.lookupUrl<Peer>(`${serverUrl}peer`);
    expect(await peer.echo('still here')).toBe('still here');
  });

  test('malformed frames and envelopes: error replies, and the same stream still works', async () => {
    const { serverUrl, client } = await pair();
    await (await client.lookupUrl<HostProxy>(serverUrl)).spawn('peer', Peer);
    const raw = RawPeer.open(serverUrl.slice('grpc://'.length, -1));
    await raw.waitFor((f) => f.welcome ?? undefined, 'welcome');
    raw.write(Buffer.from([0x0a, 0xff, 0xff, 0x01])); // a field longer than the frame
    raw.write(Buffer.from([0x0f, 0x01])); // wire type 7
    const notice = await raw.waitFor((f) => f.batch.find((e) => e.kind === EnvelopeKind.ERROR && e.id === 0), 'a notice');
    expect(unpackError(notice.value, { owner: null }).message).toMatch(/malformed/);
    // an envelope whose arguments are not a value
    const bad = await raw.answer(raw.ask('peer', 'echo', Buffer.from([0x42, 0x00])));
    const err = unpackError(bad.value, { owner: null }) as ActorError;
    expect(err.code).toBe('MALFORMED');
    // arguments that are not a list
    const notList = await raw.answer(raw.ask('peer', 'echo', packValue('x', { refs: false, where: 't' })));
    expect((unpackError(notList.value, { owner: null }) as ActorError).code).toBe('MALFORMED');
    // an envelope that cannot be read at all, inside a good frame, next to a good one
    const goodId = 99;
    raw.write(
      encodeFrame({
        batch: [
          Buffer.from([0x08]),
          encodeEnvelope({
            kind: EnvelopeKind.ASK,
            id: goodId,
            target: 'peer',
            method: 'echo',
            args: packValue(['ok'], { refs: false, where: 't' }),
            ctorArgs: null,
            value: null,
            sender: '',
          }),
        ],
      }),
    );
    const good = await raw.answer(goodId);
    expect(good.kind).toBe(EnvelopeKind.RESULT);
    expect(unpackValue(good.value, { owner: null })).toBe('ok');
    expect(raw.ended).toBe(false);
    raw.close();
    const peer = await client.lookupUrl<Peer>(`${serverUrl}peer`);
    expect(await peer.echo('host fine')).toBe('host fine');
  });

  test('a first frame that is not a Hello closes that stream with a PROTOCOL refusal', async () => {
    const { serverUrl } = await pair();
    const raw = RawPeer.open(serverUrl.slice('grpc://'.length, -1), { hello: false });
    raw.write(encodeFrame({ ping: true }));
    const close = await raw.waitFor((f) => f.close ?? undefined, 'close');
    expect(close.code).toBe('PROTOCOL');
    raw.close();
  });
});

describe('shared token', () => {
  test('the right token is accepted; a wrong or missing one is refused with a clear HostError', async () => {
    const serverUrl = `grpc://127.0.0.1:${await freePort()}/`;
    const server = await createHost(serverUrl, { token: 's3cret' });
    await server.spawn('peer', Peer);
    const good = await createHost(`grpc://127.0.0.1:${await freePort()}/`, { token: 's3cret' });
    expect(await (await good.lookupUrl<Peer>(`${serverUrl}peer`)).echo(1)).toBe(1);
    const wrong = await createHost(`grpc://127.0.0.1:${await freePort()}/`, { token: 'guess' });
    const e = await errorOf(wrong.lookupUrl(`${serverUrl}peer`));
    expect(e).toBeInstanceOf(HostError);
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toMatch(/token is wrong/);
    const none = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const e2 = await errorOf(none.lookupUrl(`${serverUrl}peer`));
    expect(e2.message).toMatch(/no token was given/);
    // the host goes on serving the right peer
    expect(await (await good.lookupUrl<Peer>(`${serverUrl}peer`)).echo(2)).toBe(2);
  });
});

describe('grpcs:// with TLS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-tls-'));
  let cert = '';
  let key = '';
  beforeAll(() => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a grpcs:// host with a self-signed certificate is reached by a host that trusts it, with a token', async () => {
    // a DNS name, as TLS server names should be (an IP address works too, with a warning from Node)
    const { serverUrl, client } = await pair(
      { tls: { cert, key }, token: 't' },
      { tls: { cert, key, ca: cert }, token: 't' },
      'grpcs',
      'localhost',
    );
    const remote = await client.lookupUrl<HostProxy>(serverUrl);
    const p = await remote.spawn('peer', Peer);
    expect(await p.echo('über TLS ✓')).toBe('über TLS ✓');
    expect(p.getUrl()).toBe(`${serverUrl}peer`);
  });

  test('a host that does not trust the certificate cannot connect (HostDownError); a grpcs:// host without certificates is refused', async () => {
    const stranger = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const serverUrl = `grpcs://localhost:${await freePort()}/`;
    await createHost(serverUrl, { tls: { cert, key } });
    const e = await errorOf(stranger.lookupUrl<HostProxy>(serverUrl).then((h) => h.hasActor('x')));
    expect(e).toBeInstanceOf(HostDownError);
    const e2 = await errorOf(createHost(`grpcs://127.0.0.1:${await freePort()}/`));
    expect(e2.message).toMatch(/needs TLS certificates/);
  });
});

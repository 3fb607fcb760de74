/**
 * Hostile peers (SPEC §6.6, §6.3): a raw gRPC client (grpc-js with the proto) and a raw
 * HTTP/2 client replay attacks on a host: floods of streams that never send their Hello,
 * oversized, truncated and wrongly versioned frames, values the codec refuses (structured
 * clone graphs, sparse arrays, deep nesting), and a peer that sends asks but never reads
 * its answers. In every case a legitimate peer's ask is still answered within a second,
 * the host's memory stays bounded, and the attacker gets a clear error or is disconnected.
 */
import * as http2 from 'node:http2';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import { createHost, shutdown, setErrorHandler, setDeadLetterHandler } from 'tsactor';
import { EnvelopeKind, WIRE_VERSION, encodeEnvelope, encodeFrame, packValue, unpackError } from '@tsactor/core/internal';
import { freePort, until } from './helpers';
import { RawPeer } from './raw';
import { configureGrpcTransport, grpcSettings } from '../src/index';
import { servers } from '../src/server';
import { connectPath } from '../src/service';
import { Peer } from './fixtures/peer';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** The heap and the memory outside it (Buffers) after a full GC. */
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const MiB = 1024 * 1024;
const reports: string[] = [];
let restoreErrors: ReturnType<typeof setErrorHandler> | undefined;
let restoreLetters: ReturnType<typeof setDeadLetterHandler> | undefined;
const saved = { ...grpcSettings };
beforeAll(() => {
  restoreErrors = setErrorHandler((e) => reports.push(e.message));
  restoreLetters = setDeadLetterHandler(() => undefined);
});
afterEach(async () => {
  configureGrpcTransport({ helloTimeout: saved.helloTimeout, maxUnauthenticated: saved.maxUnauthenticated });
  await shutdown();
});
afterAll(() => {
  if (restoreErrors) setErrorHandler(restoreErrors);
  if (restoreLetters) setDeadLetterHandler(restoreLetters);
});

/** A host serving 'peer', and a legitimate host that talks to it. */
async function setup(): Promise<{ authority: string; ask(): Promise<number> }> {
  const port = await freePort();
  const client = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const server = await createHost(`grpc://127.0.0.1:${port}/`);
  await server.spawn('peer', Peer);
  const peer = await client.lookupUrl<Peer>(`grpc://127.0.0.1:${port}/peer`);
  expect(await peer.echo('warm')).toBe('warm');
  let n = 0;
  return {
    authority: `127.0.0.1:${port}`,
    /** a legitimate ask, answered within 1 s (the seconds it took) */
    ask: async () => {
      const t0 = performance.now();
      const tag = `legit ${n++}`;
      expect(await peer.withTimeout(1).echo(tag)).toBe(tag);
      return (performance.now() - t0) / 1000;
    },
  };
}

function serverOf(authority: string) {
  return [...servers].find((s) => s.base === `grpc://${authority}/`)!;
}

test('a flood of streams that never send their Hello: capped, refused at once beyond the cap, closed at the Hello deadline', async () => {
  configureGrpcTransport({ helloTimeout: 2, maxUnauthenticated: 64 });
  const { authority, ask } = await setup();
  const server = serverOf(authority);
  const before = heapAfterGc();
  const attackers = Array.from({ length: 300 }, () => RawPeer.open(authority, { hello: false }));
  // refused at once: with RESOURCE_EXHAUSTED, not closed later at the Hello deadline (PROTOCOL);
  // the wait is long only because opening 300 connections takes a while on a loaded machine
  await until(
    () => attackers.filter((a) => a.error?.code === grpc.status.RESOURCE_EXHAUSTED).length >= 300 - 64,
    10,
    'the streams beyond the cap to be refused',
  );
  expect(server.unauthenticatedCount).toBeLessThanOrEqual(64);
  const refused = attackers.filter((a) => a.error?.code === grpc.status.RESOURCE_EXHAUSTED);
  expect(refused.length).toBeGreaterThanOrEqual(300 - 64);
  expect(refused[0]!.error!.details).toMatch(/waiting for their Hello \(maxUnauthenticated\)/);
  await ask();
  // the 300 attacking clients live in this process too (a connection each): most of the growth is theirs
  expect(heapAfterGc() - before).toBeLessThan(32 * MiB);
  // the silent ones are closed at the Hello deadline, with a PROTOCOL refusal
  await until(() => attackers.every((a) => a.ended), 5, 'every silent stream to be closed');
  expect(server.unauthenticatedCount).toBe(0);
  const closes = attackers.flatMap((a) => a.frames.map((f) => f.close)).filter((c) => c !== null);
  expect(closes.length).toBeGreaterThan(0);
  expect(closes[0]!.code).toBe('PROTOCOL');
  expect(closes[0]!.message).toMatch(/no Hello within 2 s/);
  expect(await ask()).toBeLessThan(1);
  for (const a of attackers) a.close();
});

test('wrong wire versions, truncated and oversized first frames are refused; the host goes on', async () => {
  const { authority, ask } = await setup();
  const version = RawPeer.open(authority, { hello: false });
  version.write(encodeFrame({ hello: { version: WIRE_VERSION + 7, from: '', to: '', token: '' } }));
  const vClose = await version.waitFor((f) => f.close ?? undefined, 'a close');
  expect(vClose.code).toBe('VERSION');
  expect(vClose.message).toMatch(/run the same tsactor version/);

  const truncated = RawPeer.open(authority, { hello: false });
  const hello = encodeFrame({ hello: { version: WIRE_VERSION, from: 'x', to: 'y', token: '' } });
  truncated.write(hello.subarray(0, hello.length - 3));
  await until(() => truncated.ended, 5, 'the truncated stream to be closed');

  const big = RawPeer.open(authority, { hello: false });
  big.write(Buffer.alloc(200 * 1024, 0x0a));
  const bClose = await big.waitFor((f) => f.close ?? undefined, 'a close');
  expect(bClose.code).toBe('PROTOCOL');
  expect(bClose.message).toMatch(/Hello of at most/);

  // over grpc-js's receive limit, after a valid Hello: grpc-js ends the call itself
  const over = RawPeer.open(authority);
  over.write(Buffer.alloc(grpcSettings.maxMessageSize + 128 * 1024, 0));
  await until(() => over.ended, 10, 'the oversized stream to be ended');
  expect(over.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

  // a truncated envelope after the Hello: a MALFORMED notice, and the stream goes on
  const mid = RawPeer.open(authority);
  const frame = encodeFrame({
    batch: [
      encodeEnvelope({
        kind: EnvelopeKind.ASK,
        id: 1,
        target: 'peer',
        method: 'echo',
        args: packValue(['x'], { refs: false, where: 't' }),
        ctorArgs: null,
        value: null,
        sender: '',
      }),
    ],
  });
  mid.write(frame.subarray(0, frame.length - 2));
  const notice = await mid.waitFor((f) => f.batch.find((e) => e.kind === EnvelopeKind.ERROR && e.id === 0), 'a notice');
  expect(unpackError(notice.value, { owner: null }).message).toMatch(/could not read a frame/);
  const id = mid.ask('peer', 'echo', packValue(['still here'], { refs: false, where: 't' }));
  expect((await mid.answer(id)).kind).toBe(EnvelopeKind.RESULT);
  expect(await ask()).toBeLessThan(1);
  for (const p of [version, truncated, big, over, mid]) p.close();
});

test('values the codec refuses (structured clone graphs, sparse arrays, deep nesting) get clear errors; the host stays responsive', async () => {
  const { authority, ask } = await setup();
  const attacker = RawPeer.open(authority);
  // an array DAG of depth 40: a few hundred bytes whose walk would take hours
  let dag: unknown[] = [];
  for (let i = 0; i < 40; i++) dag = [dag, dag];
  const sparse: unknown[] = [];
  sparse[2 ** 32 - 2] = 1;
  const deep = Buffer.from('J' + '['.repeat(100_000) + ']'.repeat(100_000));
  const payloads = [v8.serialize([dag]), v8.serialize([sparse]), deep];
  for (const args of payloads) {
    const t0 = performance.now();
    const id = attacker.ask('peer', 'echo', args);
    const answer = await attacker.answer(id);
    expect(answer.kind).toBe(EnvelopeKind.ERROR);
    const e = unpackError(answer.value, { owner: null }) as Error & { code?: string };
    expect(['MALFORMED', 'TOO_DEEP', 'TOO_LARGE']).toContain(e.code);
    expect((performance.now() - t0) / 1000).toBeLessThan(1);
    expect(await ask()).toBeLessThan(1);
  }
  attacker.close();
});

/** Waits for 'drain' on `stream`, at most `ms`: true when it came. */
function drainOr(stream: http2.ClientHttp2Stream, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (drained: boolean): void => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      resolve(drained);
    };
    const onDrain = (): void => done(true);
    const timer = setTimeout(() => done(false), ms);
    stream.on('drain', onDrain);
  });
}

/** gRPC's message framing: a flag byte and a 4-byte length before each message. */
function grpcMessage(frame: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(frame.length, 1);
  return Buffer.concat([head, frame]);
}

test('a peer that sends asks and never reads its answers: the host stops reading it, memory stays bounded, others are served', async () => {
  const { authority, ask } = await setup();
  const before = heapAfterGc();
  const session = http2.connect(`http://${authority}`, { settings: { initialWindowSize: 65535 } });
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': connectPath,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  stream.pause(); // never read
  stream.write(grpcMessage(encodeFrame({ hello: { version: WIRE_VERSION, from: '', to: '', token: '' } })));
  // 20,000 asks each answered with 2 KiB: 40 MiB of answers if the host kept them all
  const arg = packValue(['x'.repeat(2048)], { refs: false, where: 't' });
  let written = 0;
  let id = 1;
  const batchOf = (): Buffer => {
    const batch = [];
    for (let i = 0; i < 100; i++) {
      batch.push(
        encodeEnvelope({
          kind: EnvelopeKind.ASK,
          id: id++,
          target: 'peer',
          method: 'echo',
          args: arg,
          ctorArgs: null,
          value: null,
          sender: '',
        }),
      );
    }
    return grpcMessage(encodeFrame({ batch }));
  };
  const end = Date.now() + 8000;
  // keep writing while the host takes it (HTTP/2 flow control stops the writes when it does not)
  let blocked = false;
  while (written < 200 && Date.now() < end) {
    const ok = stream.write(batchOf());
    written++;
    if (!ok && !(await drainOr(stream, 1000))) {
      blocked = true;
      break;
    }
    if (written % 20 === 0) expect(await ask()).toBeLessThan(1);
  }
  await new Promise((r) => setTimeout(r, 500));
  expect(await ask()).toBeLessThan(1);
  const grown = heapAfterGc() - before;
  // bounded by the answer backlog, the stream buffers and maxQueuedBytes, not by what was asked
  expect(grown).toBeLessThan(32 * MiB);
  // it was not read to the end: flow control held it back (or it was disconnected)
  expect(blocked || stream.closed).toBe(true);
  expect(written).toBeLessThan(200);
  stream.destroy();
  session.destroy();
});

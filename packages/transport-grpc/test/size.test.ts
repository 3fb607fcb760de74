/**
 * The maximum message size: messages close to the limit arrive intact; larger ones are
 * refused with a clear error before they are sent, and the connection goes on.
 */
import { Actor, Ask, createHost, shutdown, ActorError, type HostProxy, type Proxy } from 'tsactor';
import { configureGrpcTransport, grpcSettings } from '../src';
import { freePort } from './helpers';

@Actor
class Sink {
  @Ask
  size(x: Uint8Array | string): number {
    return x.length;
  }
  @Ask
  make(n: number): string {
    return 'y'.repeat(n);
  }
}

const LIMIT = 1024 * 1024;
const saved = grpcSettings.maxMessageSize;
let sink: Proxy<Sink>;

beforeAll(async () => {
  configureGrpcTransport({ maxMessageSize: LIMIT });
  const client = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const serverUrl = `grpc://127.0.0.1:${await freePort()}/`;
  await createHost(serverUrl);
  const remote = await client.lookupUrl<HostProxy>(serverUrl);
  sink = await remote.spawn('sink', Sink);
});
afterAll(async () => {
  await shutdown();
  configureGrpcTransport({ maxMessageSize: saved });
});

test('a message just under the limit arrives intact (binary and text)', async () => {
  const bytes = new Uint8Array(LIMIT - 200).map((_, i) => i % 251);
  expect(await sink.size(bytes)).toBe(bytes.length);
  expect(await sink.size('é'.repeat((LIMIT - 200) / 2))).toBe((LIMIT - 200) / 2);
  const big = await sink.make(LIMIT - 200);
  expect(big.length).toBe(LIMIT - 200);
});

test('a message over the limit is refused with TOO_LARGE, and the connection goes on', async () => {
  let e: unknown;
  try {
    await sink.size(new Uint8Array(LIMIT + 1));
  } catch (err) {
    e = err;
  }
  expect(e).toBeInstanceOf(ActorError);
  expect((e as ActorError).code).toBe('TOO_LARGE');
  expect((e as Error).message).toMatch(/over the 1048576-byte limit/);
  let r: unknown;
  try {
    await sink.make(LIMIT + 10);
  } catch (err) {
    r = err;
  }
  expect((r as ActorError).code).toBe('TOO_LARGE');
  expect(await sink.size('still fine')).toBe(10);
});

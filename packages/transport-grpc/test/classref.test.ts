/**
 * Remote spawn by class, to a host in another process: the class travels as a reference
 * (name and defining file). The remote host uses the class if it has loaded it, else loads
 * its file only when that file is inside its module root, and only if the class is @Actor.
 */
import { Actor, Ask, createHost, shutdown, NotFoundError, type HostProxy } from 'tsactor';
import { freePort } from './helpers';
import { startPeer, type PeerProcess } from './peer';
import { Worker } from './fixtures/spawnables/workers';

@Actor
class DefinedInTheTest {
  @Ask
  hello(): string {
    return 'hi';
  }
}

let peer: PeerProcess;
let remote: HostProxy;

beforeAll(async () => {
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  peer = await startPeer(url); // module root: test/fixtures
  const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  remote = await me.lookupUrl<HostProxy>(url);
});
afterAll(async () => {
  await shutdown();
  peer.child.kill('SIGTERM');
  await peer.exited;
});

test("a class whose file is inside the remote host's module root is loaded there and spawned", async () => {
  const w = await remote.spawn('w-by-class', Worker, 'sent by value');
  expect(await w.label()).toBe('sent by value');
  expect(w.getUrl()).toBe(`${remote.getUrl()}w-by-class`);
});

test('a class the remote host has not loaded and whose file is outside its module root is refused with NotFoundError', async () => {
  let e: unknown;
  try {
    await remote.spawn('outside', DefinedInTheTest);
  } catch (err) {
    e = err;
  }
  expect(e).toBeInstanceOf(NotFoundError);
  expect((e as Error).message).toMatch(/DefinedInTheTest is not loaded on this host; spawn it by 'module\/DefinedInTheTest'/);
  expect(await remote.hasActor('outside')).toBe(false);
});

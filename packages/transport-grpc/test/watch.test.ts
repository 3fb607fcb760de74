/**
 * Death watch across processes over gRPC (SPEC §6.2): a watcher in this process hears,
 * exactly once, that an actor of another process was stopped ('stopped'), and that the
 * host of another actor died ('host-down', kill -9 of its process).
 */
import { createHost, shutdown, watch, type HostProxy, type StopReason } from 'tsactor';
import { freePort } from './helpers';
import { startPeer, type PeerProcess } from './peer';
import type { Peer } from './fixtures/peer';

const peers: PeerProcess[] = [];
afterAll(async () => {
  for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await shutdown().catch(() => undefined);
});

/** Records the notifications of one watch; `next()` resolves with the first one. */
function recorder(): { reasons: StopReason[]; next: Promise<StopReason>; fn: (ref: unknown, reason: StopReason) => void } {
  const reasons: StopReason[] = [];
  let resolve!: (r: StopReason) => void;
  const next = new Promise<StopReason>((r) => (resolve = r));
  return {
    reasons,
    next,
    fn: (_ref, reason) => {
      reasons.push(reason);
      resolve(reason);
    },
  };
}

test("a remote actor's host killed with kill -9: its watchers hear 'host-down' once", async () => {
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  const peer = await startPeer(url);
  peers.push(peer);
  const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const remote = await me.lookupUrl<Peer>(`${url}peer`);
  expect(await remote.pid()).toBe(peer.child.pid);
  const seen = recorder();
  watch(remote, seen.fn);
  peer.child.kill('SIGKILL');
  expect(await seen.next).toBe('host-down');
  await peer.exited;
  // a later failure of the same connection does not notify again
  await remote.pid().then(
    () => undefined,
    () => undefined,
  );
  expect(seen.reasons).toEqual(['host-down']);
  await shutdown();
});

test("a remote actor stopped by its own host: its watchers hear 'stopped' once", async () => {
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  const server = await createHost(url, { remoteStop: true });
  const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const remoteHost = await me.lookupUrl<HostProxy>(url);
  const { Peer: PeerClass } = await import('./fixtures/peer');
  await server.spawn('watched', PeerClass);
  const remote = await remoteHost.lookup<Peer>('watched');
  const seen = recorder();
  watch(remote, seen.fn);
  // the watch is registered on the remote host before the stop: an ask after it is ordered behind it
  expect(await remote.echo('registered')).toBe('registered');
  await remoteHost.stopActor('watched');
  expect(await seen.next).toBe('stopped');
  expect(seen.reasons).toEqual(['stopped']);
  await shutdown();
});

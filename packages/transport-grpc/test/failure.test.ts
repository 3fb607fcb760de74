/**
 * Failure detection that tells busy from dead: a closed connection (kill -9) is a death at
 * once (HostDownError within a second); silence (a host cut off by a TCP relay that stops
 * forwarding, or a frozen process) is a suspicion first and a death only after
 * heartbeatTimeout; a long synchronous method is not a death. When the host comes back at
 * the same URL, the same proxy reaches it again. Nothing is left behind: no channel,
 * stream, socket or timer.
 */
import * as net from 'node:net';
import { createHost, shutdown, HostDownError } from 'tsactor';
import { router } from '@tsactor/core/internal';
import { configureGrpcTransport, grpcSettings } from '../src/index';
import { freePort, until } from './helpers';
import { startPeer, type PeerProcess } from './peer';
import { channels } from '../src/client';
import { heartbeat } from '../src/outbox';
import type { Peer } from './fixtures/peer';

/** Settles a promise into its value or error and the seconds it took. */
async function timed<T>(p: PromiseLike<T>): Promise<{ value?: T; error?: unknown; seconds: number }> {
  const t0 = performance.now();
  try {
    const value = await p;
    return { value, seconds: (performance.now() - t0) / 1000 };
  } catch (error) {
    return { error, seconds: (performance.now() - t0) / 1000 };
  }
}

/** Retries an ask until it succeeds (the channel reconnects after its backoff). */
async function eventually<T>(f: () => PromiseLike<T>, seconds = 10): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end || !(e instanceof HostDownError)) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

const peers: PeerProcess[] = [];
afterAll(async () => {
  for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await shutdown().catch(() => undefined);
});

test('kill -9 of the host process: pending asks reject with HostDownError within about a second; a restart at the same URL is reached again', async () => {
  const before = resources();
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  const first = await startPeer(url);
  peers.push(first);
  const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const peer = await me.lookupUrl<Peer>(`${url}peer`);
  const pid1 = await peer.pid();
  expect(pid1).toBe(first.child.pid);

  const pending = [peer.withTimeout(30).slow(60), peer.withTimeout(30).slow(60), peer.withTimeout(null).slow(60)];
  await until(() => [...channels].some((c) => c.pendingCount === 3), 5, 'the asks to be sent');
  first.child.kill('SIGKILL');
  const results = await Promise.all(pending.map(timed));
  for (const r of results) {
    expect(r.error).toBeInstanceOf(HostDownError);
    expect(r.seconds).toBeLessThan(1);
  }
  // while it is down, new asks fail at once too
  const down = await timed(peer.echo('anyone?'));
  expect(down.error).toBeInstanceOf(HostDownError);
  expect(down.seconds).toBeLessThan(1.5);

  const second = await startPeer(url);
  peers.push(second);
  // the same proxy, no restart on this side
  const pid2 = await eventually(() => peer.pid());
  expect(pid2).toBe(second.child.pid);
  expect(await peer.echo('back again')).toBe('back again');

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  await shutdown();
  expect(channels.size).toBe(0);
  expect(heartbeat.size).toBe(0);
  // sockets, servers and timers go back to what there was before
  await until(
    () => {
      const now = resources();
      return ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (before[k] ?? 0));
    },
    5,
    `resources to be released (before ${JSON.stringify(before)}, now ${JSON.stringify(resources())})`,
  );
});

/** A TCP relay whose traffic can be frozen (no socket closes: a cut cable). */
async function relay(targetPort: number): Promise<{ port: number; freeze(): void; thaw(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (d) => {
        if (!frozen) to.write(d);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      // a cut connection does not come back: the peers have given up on it
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Runs `f` with the given heartbeat timeout, then puts the setting back. */
async function withHeartbeatTimeout<T>(seconds: number, f: () => Promise<T>): Promise<T> {
  const before = grpcSettings.heartbeatTimeout;
  configureGrpcTransport({ heartbeatTimeout: seconds });
  try {
    return await f();
  } finally {
    configureGrpcTransport({ heartbeatTimeout: before });
  }
}

test('the default heartbeat timeout survives long synchronous methods', () => {
  expect(grpcSettings.heartbeatTimeout).toBe(10);
});

test('a 3 s synchronous method on the callee is not a death: its ask resolves, other asks wait and resolve too', async () => {
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  const p = await startPeer(url);
  peers.push(p);
  try {
    const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const peer = await me.lookupUrl<Peer>(`${url}peer`);
    expect(await peer.echo('warm')).toBe('warm');
    const spinning = timed(peer.withTimeout(30).spin(3));
    const behind = timed(peer.withTimeout(30).echo('after the spin'));
    await until(() => [...channels].some((c) => c.suspected), 5, 'the silent peer to be suspected');
    const [a, b] = await Promise.all([spinning, behind]);
    expect(a.error).toBeUndefined();
    expect(a.value).toBe('spun');
    expect(a.seconds).toBeGreaterThanOrEqual(2.9);
    expect(b.value).toBe('after the spin');
    // the connection was never given up: the same stream goes on
    expect([...channels].some((c) => c.connected && !c.suspected)).toBe(true);
    expect(await peer.echo('still here')).toBe('still here');
  } finally {
    p.child.kill('SIGKILL');
    await p.exited;
    await shutdown();
  }
});

test('a frozen peer (SIGSTOP) is declared down after the configured pause, and found again after SIGCONT', async () => {
  await withHeartbeatTimeout(1.5, async () => {
    const url = `grpc://127.0.0.1:${await freePort()}/`;
    const p = await startPeer(url);
    peers.push(p);
    try {
      const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
      const peer = await me.lookupUrl<Peer>(`${url}peer`);
      expect(await peer.pid()).toBe(p.child.pid);
      p.child.kill('SIGSTOP');
      // the socket stays open, the peer just says nothing: a suspicion, then a death after the pause
      const r = await timed(peer.withTimeout(30).echo('frozen'));
      expect(r.error).toBeInstanceOf(HostDownError);
      expect((r.error as Error).message).toMatch(/nothing heard from it for 1.5 s/);
      // silence began at most one ping interval (0.2 s) before the freeze
      expect(r.seconds).toBeGreaterThanOrEqual(1.1);
      p.child.kill('SIGCONT');
      expect(await eventually(() => peer.pid())).toBe(p.child.pid);
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
      await shutdown();
    }
  });
});

test('a host that is cut off (no socket closes): pending asks reject with HostDownError after the heartbeat timeout, and it is reached again once the link is back', async () => {
  await withHeartbeatTimeout(1, cutOff);
});

async function cutOff(): Promise<void> {
  const port = await freePort();
  const serverUrl = `grpc://127.0.0.1:${port}/`;
  const server = await createHost(serverUrl);
  const { Peer: PeerClass } = await import('./fixtures/peer');
  await server.spawn('peer', PeerClass);
  const link = await relay(port);
  try {
    const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const peer = await me.lookupUrl<Peer>(`grpc://127.0.0.1:${link.port}/peer`);
    expect(await peer.echo('through the relay')).toBe('through the relay');

    const pending = peer.withTimeout(30).slow(60);
    await until(() => [...channels].some((c) => c.pendingCount === 1), 5, 'the ask to be sent');
    link.freeze();
    const r = await timed(pending);
    expect(r.error).toBeInstanceOf(HostDownError);
    expect(r.seconds).toBeGreaterThanOrEqual(0.7); // silence is a suspicion until the heartbeat timeout (less the last ping interval)
    expect(r.seconds).toBeLessThan(2); // heartbeat timeout (1 s) + one ping interval, with room for a loaded machine
    expect((r.error as Error).message).toMatch(/nothing heard|unreachable|closed|failed/);

    link.thaw();
    expect(await eventually(() => peer.echo('reconnected'))).toBe('reconnected');
  } finally {
    await shutdown();
    await link.close();
  }
}

test('a host declared down a moment after it last spoke fails its pending asks once its silence is a suspicion, not at the heartbeat timeout; one that keeps talking goes on', async () => {
  const port = await freePort();
  const server = await createHost(`grpc://127.0.0.1:${port}/`);
  const { Peer: PeerClass } = await import('./fixtures/peer');
  await server.spawn('peer', PeerClass);
  const link = await relay(port);
  const base = `grpc://127.0.0.1:${link.port}/`;
  try {
    const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const peer = await me.lookupUrl<Peer>(`${base}peer`);
    expect(await peer.echo('through the relay')).toBe('through the relay');

    // talking (pings answered while the ask sleeps): the verdict is dropped, the ask is answered
    const talking = timed(peer.withTimeout(30).slow(1.5));
    router.declareDown(base, new HostDownError('said to be down by the test'));
    const t = await talking;
    expect(t.value).toBe('slept');
    expect([...channels].some((c) => c.connected)).toBe(true);

    // cut, and said to be down at once (as a lease that ends right after a cut): not yet
    // suspected, so the verdict waits for the silence, with the heartbeat timeout (10 s) far off
    const pending = peer.withTimeout(30).slow(60);
    await until(() => [...channels].some((c) => c.pendingCount === 1), 5, 'the ask to be sent');
    link.freeze();
    router.declareDown(base, new HostDownError('said to be down by the test'));
    const r = await timed(pending);
    expect(r.error).toBeInstanceOf(HostDownError);
    expect((r.error as Error).message).toMatch(/said to be down by the test/);
    expect(r.seconds).toBeLessThan(3); // the suspicion (1 s of silence) and a ping interval, with room for a loaded machine
    link.thaw();
    expect(await eventually(() => peer.echo('reconnected'))).toBe('reconnected');
  } finally {
    await shutdown();
    await link.close();
  }
});

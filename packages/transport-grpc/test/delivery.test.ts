/**
 * Delivery you can count on (gRPC): a timed-out ask leaves nothing behind in the caller,
 * and a tell is either handled or reported as a dead letter, with its count, even when
 * connections are cut in the middle of a stream.
 */
import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { createHost, shutdown, setDeadLetterHandler, TimeoutError, type DeadLetter } from 'tsactor';
import { freePort, until } from './helpers';
import { startPeer, type PeerProcess } from './peer';
import { channels } from '../src/client';
import { Peer } from './fixtures/peer';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const peers: PeerProcess[] = [];
afterAll(async () => {
  for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await shutdown().catch(() => undefined);
});

test('100,000 asks that time out: the pending table is emptied and the heap returns to where it was', async () => {
  const url = `grpc://127.0.0.1:${await freePort()}/`;
  const p = await startPeer(url);
  peers.push(p);
  const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const peer = await me.lookupUrl<Peer>(`${url}peer`);
  const quick = peer.withTimeout(0.05);
  const channel = [...channels].find((c) => c.base === url)!;

  const batch = async (n: number): Promise<number> => {
    const outcomes = await Promise.all(
      Array.from({ length: n }, () =>
        quick.never().then(
          () => 'answered',
          (e: unknown) => (e instanceof TimeoutError ? 'timeout' : String(e)),
        ),
      ),
    );
    return outcomes.filter((o) => o === 'timeout').length;
  };
  expect(await batch(2000)).toBe(2000); // warm-up
  expect(channel.pendingCount).toBe(0);
  const before = heapAfterGc();
  let timedOut = 0;
  for (let i = 0; i < 20; i++) timedOut += await batch(5000);
  expect(timedOut).toBe(100_000);
  expect(channel.pendingCount).toBe(0);
  const grown = heapAfterGc() - before;
  expect(grown).toBeLessThan(4 * 1024 * 1024);
  // the connection is as good as before
  expect(await peer.echo('after')).toBe('after');
  p.child.kill('SIGKILL');
  await p.exited;
  await shutdown();
}, 120_000);

/** A TCP proxy to `targetPort` that can cut every connection through it at once. */
async function cutter(targetPort: number): Promise<{ port: number; cut(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const gone = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', gone).on('error', gone);
    upstream.on('close', gone).on('error', gone);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    cut: () => {
      const n = sockets.size;
      // both sides at once, whatever is in flight: bytes in the proxy are lost
      for (const s of sockets) s.resetAndDestroy();
      return n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('connections cut mid-stream: every tell is handled or reported as a dead letter, never silently lost', async () => {
  const letters: DeadLetter[] = [];
  const restore = setDeadLetterHandler((l) => letters.push(l));
  const port = await freePort();
  const server = await createHost(`grpc://127.0.0.1:${port}/`);
  await server.spawn('peer', Peer);
  const proxy = await cutter(port);
  try {
    const me = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    const peer = await me.lookupUrl<Peer>(`grpc://127.0.0.1:${proxy.port}/peer`);
    expect(await peer.echo('through the proxy')).toBe('through the proxy');
    const sent = 30_000;
    let cuts = 0;
    // cut every connection through the proxy now and then, while tells travel
    const timer = setInterval(() => (cuts += proxy.cut() > 0 ? 1 : 0), 40);
    try {
      for (let i = 0; i < sent; i++) {
        peer.note(i);
        if (i % 200 === 199) await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      clearInterval(timer);
    }
    expect(cuts).toBeGreaterThan(3);
    const tellLetters = (): number => letters.filter((l) => l.kind === 'tell').reduce((n, l) => n + l.count, 0);
    let handled = 0;
    await until(
      () => {
        void peer
          .noteCount()
          .then((n) => (handled = n))
          .catch(() => undefined);
        return handled + tellLetters() === sent && [...channels].every((c) => c.unconfirmedTells === 0);
      },
      20,
      'every tell to be handled or reported',
    ).catch((e: unknown) => {
      throw new Error(
        `${String(e)}: handled ${handled}, letters ${JSON.stringify(letters.reduce<Record<string, number>>((m, l) => ({ ...m, [l.reason]: (m[l.reason] ?? 0) + l.count }), {}))}, unconfirmed ${[...channels].map((c) => c.unconfirmedTells).join()}, cuts ${cuts}`,
      );
    });
    handled = await peer.noteCount();
    expect(handled + tellLetters()).toBe(sent);
    expect(handled).toBeGreaterThan(0);
    expect(tellLetters()).toBeGreaterThan(0);
    // no tell was handled twice: the notes are distinct
    const notes = (await peer.notesSoFar()) as number[];
    expect(new Set(notes).size).toBe(notes.length);
  } finally {
    setDeadLetterHandler(restore);
    await shutdown();
    await proxy.close();
  }
}, 60_000);

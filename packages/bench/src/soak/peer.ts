/**
 * The soak run's gRPC peer: a grpc:// host in its own process with the actors the driver
 * loads ('counter', 'echo', 'slow'), reporting its memory every second. The orchestrator
 * kills and restarts it at the same URL during the run. Usage: node peer.js PORT
 */
import { createHost, setDeadLetterHandler, shutdown } from 'tsactor';
import { SoakCounter, SoakEcho, SoakSlow } from './actors';
import { sampleMemory } from './memory';
import { onParentStop } from '../targets/child-process';
import type { FromPeer } from './protocol';

function send(m: FromPeer): void {
  if (process.connected) process.send!(m);
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`usage: peer.js PORT (got ${process.argv[2]})`);
  // late answers of timed-out asks and tells of a lost connection are expected here
  setDeadLetterHandler(() => undefined);
  onParentStop(() => shutdown());
  const url = `grpc://127.0.0.1:${port}/`;
  const host = await createHost(url, { timeout: 30 });
  await host.spawn('counter', SoakCounter);
  await host.spawn('echo', SoakEcho);
  await host.spawn('slow', SoakSlow);
  setInterval(() => send({ type: 'mem', sample: sampleMemory() }), 1000).unref();
  send({ type: 'ready', url });
}

main().catch((e: unknown) => {
  send({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

/**
 * Worker of the postMessage baseline: counters, an echo, one side of pingpong and half of
 * a ring, all on plain postMessage (one message per call). Messages from the main thread:
 * a number k (inc counter k), or [op, id, arg]; answers go back as ['r', id, value].
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

const main = parentPort!;
const side = (workerData as { side: number }).side;
let peer: MessagePort | null = null;
const counters = new Float64Array(64);
let pongs = 0;
// pingpong (side 0 pings)
let left = 0;
let got = 0;
let bad = 0;
let runId = 0;
// ring
let ringSize = 0;
const seen = new Float64Array(1024);
let ringId = 0;

function onPeer(m: [string, number, number]): void {
  const op = m[0];
  if (op === 'ping') {
    pongs++;
    peer!.postMessage(['pong', m[1], 0]);
  } else if (op === 'pong') {
    got++;
    if (m[1] !== left) bad++;
    if (--left > 0) peer!.postMessage(['ping', left, 0]);
    else main.postMessage(['r', runId, bad === 0 ? got : -bad]);
  } else if (op === 'tok') {
    const node = m[1];
    const hops = m[2];
    seen[node]!++;
    if (hops === 0) main.postMessage(['r', ringId, 0]);
    else peer!.postMessage(['tok', (node + 1) % ringSize, hops - 1]);
  }
}

main.on('message', (m: number | [string, number, unknown]) => {
  if (typeof m === 'number') {
    counters[m]!++;
    return;
  }
  const [op, id, arg] = m;
  switch (op) {
    case 'echo':
      main.postMessage(['r', id, arg]);
      break;
    case 'take': {
      const k = arg as number;
      main.postMessage(['r', id, counters[k]]);
      counters[k] = 0;
      break;
    }
    case 'peer':
      peer = arg as MessagePort;
      peer.on('message', onPeer);
      main.postMessage(['r', id, side]);
      break;
    case 'pp':
      runId = id;
      left = arg as number;
      got = 0;
      bad = 0;
      peer!.postMessage(['ping', left, 0]);
      break;
    case 'takepong':
      main.postMessage(['r', id, pongs]);
      pongs = 0;
      break;
    case 'ring':
      ringSize = arg as number;
      main.postMessage(['r', id, 0]);
      break;
    case 'arm':
      // the id under which the last hop will answer, on both sides
      ringId = arg as number;
      main.postMessage(['r', id, 0]);
      break;
    case 'token':
      // the main thread hands the token to node 0 (on side 0)
      onPeer(['tok', 0, arg as number]);
      break;
    case 'seen': {
      let s = 0;
      for (let i = 0; i < ringSize; i++) {
        s += seen[i]!;
        seen[i] = 0;
      }
      main.postMessage(['r', id, s]);
      break;
    }
  }
});

/**
 * The workloads, in Savina's style. Each one is written once per framework (see targets/);
 * this file names them, says what one operation is and how the figure reads.
 */

export type WorkloadId =
  'pingpong' | 'counting' | 'threadring' | 'forkjoin' | 'ask-latency' | 'ask-throughput' | 'spawn' | 'memory' | 'failover';

export interface WorkloadInfo {
  readonly id: WorkloadId;
  readonly title: string;
  /** unit of the headline figure */
  readonly unit: string;
  /** true when a larger figure is better */
  readonly higherIsBetter: boolean;
  readonly description: string;
}

/** Ring size of threadring (Savina uses 503). */
export const RING_SIZE = 100;
/** Actors of fork-join throughput. */
export const FORKJOIN_ACTORS = 8;
/** Asks in flight in the ask-throughput workload. */
export const ASK_WINDOW = 128;

export const WORKLOADS: readonly WorkloadInfo[] = [
  {
    id: 'pingpong',
    title: 'pingpong',
    unit: 'round trips/s',
    higherIsBetter: true,
    description: 'two actors send a message back and forth N times (ping, pong); the driver waits for the last pong',
  },
  {
    id: 'counting',
    title: 'counting',
    unit: 'msgs/s',
    higherIsBetter: true,
    description:
      'the driver tells one counter actor N times, then asks it for the count, which must be N (tsactor across processes: in rounds of 100,000 tells, the count taken after each, since its transports bound what they buffer per peer)',
  },
  {
    id: 'threadring',
    title: 'threadring',
    unit: 'hops/s',
    higherIsBetter: true,
    description: `${RING_SIZE} actors in a ring pass a token H hops; every actor counts what it saw and the counts must add up to H+1`,
  },
  {
    id: 'forkjoin',
    title: 'fork-join throughput',
    unit: 'msgs/s',
    higherIsBetter: true,
    description: `${FORKJOIN_ACTORS} actors each receive N tells (sent round-robin), then each is asked for its count, which must be N (tsactor across processes: in rounds, as counting)`,
  },
  {
    id: 'ask-latency',
    title: 'ask latency',
    unit: 'µs/ask (p50)',
    higherIsBetter: false,
    description: 'the driver makes N sequential asks (each awaited before the next) to one echo actor; every answer is checked',
  },
  {
    id: 'ask-throughput',
    title: 'ask throughput',
    unit: 'asks/s',
    higherIsBetter: true,
    description: `the driver keeps ${ASK_WINDOW} asks in flight to one echo actor until N are answered; every answer is checked`,
  },
  {
    id: 'spawn',
    title: 'spawn rate',
    unit: 'actors/s',
    higherIsBetter: true,
    description: 'the driver spawns N actors (at most 10,000 per repetition, 1000 in flight) and asks a sample of them to answer',
  },
  {
    id: 'memory',
    title: 'memory per idle actor',
    unit: 'bytes/actor',
    higherIsBetter: false,
    description:
      'heap growth after spawning M idle actors and a full GC, divided by M (the heap of the process or thread the actors live in)',
  },
  {
    // last: it kills members and starts new ones
    id: 'failover',
    title: 'failover after kill -9',
    unit: 'ms (p50)',
    higherIsBetter: false,
    description:
      'clusters only: identities are called without pause while the member serving the most of them is killed with SIGKILL (and a new one started), a few rounds; per identity that moved, the time from the kill to its first answered call elsewhere (one repetition; p50 and p99 over the identities)',
  },
];

export function workloadInfo(id: WorkloadId): WorkloadInfo {
  const w = WORKLOADS.find((x) => x.id === id);
  if (w === undefined) throw new Error(`unknown workload '${id}'`);
  return w;
}

export const WORKLOAD_IDS: readonly WorkloadId[] = WORKLOADS.map((w) => w.id);

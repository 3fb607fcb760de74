/** The messages between the soak orchestrator (soak.js), its driver and its gRPC peer. */
import type { MemorySample } from './memory';
import type { Tally } from './rounds';

/** The runtimes and transports the soak run loads. */
export type SoakKind = 'async' | 'threads' | 'grpc';
export const SOAK_KINDS: readonly SoakKind[] = ['async', 'threads', 'grpc'];

/** What the orchestrator gives the driver (argv[2], JSON). */
export interface DriverOptions {
  readonly messages: number;
  /** the peer's host URL, grpc://127.0.0.1:PORT/ */
  readonly peerUrl: string;
  /** fraction of the messages after which warm-up ends */
  readonly warmup: number;
  /** how many times the peer is restarted */
  readonly restarts: number;
  /** worker threads of the 'threads' host */
  readonly threads: number;
}

/** A worker thread's heap, as its probe actor reported it. */
export interface WorkerHeap {
  readonly thread: number;
  readonly heapUsed: number;
}

/** A dead letter count, by kind and reason ("tell/connection-lost"). */
export type DeadLetterCounts = Record<string, number>;

export type FromDriver =
  | { type: 'ready' }
  | { type: 'mem'; sample: MemorySample; workers: WorkerHeap[] }
  | { type: 'progress'; sent: number; byKind: Record<SoakKind, number> }
  | { type: 'warm'; sent: number }
  | { type: 'restart-peer'; n: number; signal: 'SIGKILL' | 'SIGTERM' }
  | { type: 'recovered'; n: number; ms: number }
  | {
      type: 'done';
      sent: number;
      byKind: Record<SoakKind, number>;
      tallies: Record<SoakKind, Tally>;
      deadLetters: DeadLetterCounts;
      /** errors reported through setErrorHandler (tell methods, callbacks, internal) */
      tellErrors: number;
      tellErrorSamples: string[];
    }
  | { type: 'error'; error: string };

export type ToDriver = { type: 'peer-up'; n: number } | { type: 'stop' };

export type FromPeer = { type: 'ready'; url: string } | { type: 'mem'; sample: MemorySample } | { type: 'error'; error: string };

/**
 * The control messages between the main thread and the workers of a 'threads' host.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ActorDescription, StopReason } from '@tsactor/core/internal';

/** workerData.init: what a worker needs to know when it starts. */
export interface WorkerInit {
  /** its slot in the pool */
  readonly index: number;
  readonly hostUrl: string;
  readonly hostBase: string;
  readonly hostId: string;
  /** the host's default ask timeout in seconds */
  readonly timeout: number | null;
  /** ports to the workers already running */
  readonly peers: ReadonlyArray<{ readonly index: number; readonly port: MessagePort }>;
  /**
   * set when the main thread observes (OpenTelemetry or an inspector): the worker passes
   * trace contexts on, and with `telemetry` records spans through its own providers,
   * registered by the module `setup` (loaded first) when there is one
   */
  readonly observe?: { readonly telemetry: boolean; readonly setup: string | null } | null;
}

/** main -> worker 'spawn' */
export interface SpawnPayload {
  readonly id: string;
  readonly url: string;
  readonly file: string;
  readonly exportName: string;
  readonly className: string;
  /** constructor arguments, encoded */
  readonly args: unknown;
}

/** worker -> main: the answer to 'spawn' */
export interface SpawnAnswer {
  /** the number that names the actor in messages to this worker */
  readonly handle: number;
}

/** main -> worker 'stop' */
export interface StopPayload {
  readonly id: string;
  readonly reason: StopReason;
}

/** worker -> main 'ended': an actor stopped by itself (its supervision stopped it after failing) */
export interface EndedPayload {
  readonly id: string;
  readonly reason: StopReason;
}

/** worker -> main 'watch' / 'unwatch': an actor of the worker (`id`) watches the actor at `url` */
export interface WatchPayload {
  readonly id: string;
  readonly url: string;
  readonly desc: ActorDescription;
}

/** main -> worker 'connect': a port to a worker that just started */
export interface ConnectPayload {
  readonly index: number;
  readonly port: MessagePort;
}

/** main -> worker 'peerDown': a worker died */
export interface PeerDownPayload {
  readonly index: number;
  readonly message: string;
  /** the ids of the actors that lived on it (gone: routes to them and timers aimed at them end) */
  readonly ids: readonly string[];
}

/** main -> worker 'unplace': an actor was stopped (forget the route to it) */
export interface UnplacePayload {
  readonly id: string;
}

/** worker -> main 'locate': where does the actor `id` of this host live? */
export interface LocatePayload {
  readonly id: string;
}

export type LocateAnswer = { readonly where: 'worker'; readonly index: number; readonly handle: number } | { readonly where: 'none' };

/**
 * Every target of the suite. A target is one framework in one mode; tsactor targets are
 * available when 'tsactor' registers their runtime or transport, so a new runtime or
 * transport joins the suite as soon as it is registered.
 */
import type { TargetImpl } from './types';
import { brokerReachable } from './child-process';

export type Framework = 'tsactor' | 'comedy' | 'nact' | 'baseline';

/** Targets are compared within a family (the same medium between the actors). */
export type Family = 'in-process' | 'threads' | 'network' | 'amqp';

export interface TargetInfo {
  readonly id: string;
  readonly label: string;
  readonly framework: Framework;
  readonly family: Family;
  /** one line on what runs where */
  readonly note: string;
  /** node flags of the target's process (default: --expose-gc, for the memory workload) */
  readonly execArgv?: readonly string[];
  /**
   * Set on a target measured in the process of another (the one named), its repetitions
   * interleaved with that one's (TargetImpl.pair); such a target is never run by itself.
   */
  readonly measuredBy?: string;
  /** null when the target can run here, or why not */
  unavailable(): Promise<string | null>;
  load(): Promise<TargetImpl>;
}

async function hasModule(name: string): Promise<string | null> {
  try {
    require.resolve(name);
    return null;
  } catch {
    return `${name} is not installed`;
  }
}

async function amqpReady(): Promise<string | null> {
  return (await hasModule('amqplib')) ?? ((await brokerReachable()) ? null : 'RabbitMQ is not answering on 127.0.0.1:5672');
}

export const FAMILIES: ReadonlyArray<{ id: Family; title: string }> = [
  { id: 'in-process', title: 'One thread (in-process)' },
  { id: 'threads', title: 'Across worker threads' },
  { id: 'network', title: 'Across processes over TCP (gRPC)' },
  { id: 'amqp', title: 'Across processes over RabbitMQ (AMQP)' },
];

export const TARGETS: readonly TargetInfo[] = [
  {
    id: 'tsactor-async',
    label: 'tsactor async',
    framework: 'tsactor',
    family: 'in-process',
    note: "'async' runtime: every actor on this thread's event loop",
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('async'),
    load: async () => (await import('./tsactor')).makeTsactorTarget('async'),
  },
  {
    id: 'comedy-memory',
    label: 'comedy in-memory',
    framework: 'comedy',
    family: 'in-process',
    note: "comedy 2.1 'in-memory' mode",
    unavailable: () => hasModule('comedy'),
    load: async () => (await import('./comedy')).makeComedyTarget('in-memory'),
  },
  {
    id: 'nact',
    label: 'nact',
    framework: 'nact',
    family: 'in-process',
    note: 'nact 7.6 (one process)',
    unavailable: () => hasModule('nact'),
    load: async () => new (await import('./nact')).NactTarget(),
  },
  {
    id: 'baseline-loop',
    label: 'bare loop',
    framework: 'baseline',
    family: 'in-process',
    note: 'a minimal single-thread actor loop, no framework: an array mailbox per actor, a run queue drained in a microtask (counting and pingpong only: the ceiling)',
    unavailable: async () => null,
    load: async () => new (await import('./baseline-loop')).BareLoopTarget(),
  },
  {
    id: 'tsactor-threads',
    label: 'tsactor threads',
    framework: 'tsactor',
    family: 'threads',
    note: "'threads' runtime, 2 workers: the driver on the main thread, actors on the workers",
    // the runtime gives its workers the process's flags, and workers refuse --expose-gc
    execArgv: [],
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('threads'),
    load: async () => (await import('./tsactor')).makeTsactorTarget('threads'),
  },
  {
    id: 'baseline-postmessage',
    label: 'postMessage (bare)',
    framework: 'baseline',
    family: 'threads',
    note: 'plain worker_threads postMessage, one message per postMessage, no framework',
    unavailable: async () => null,
    load: async () => new (await import('./baseline-threads')).PostMessageTarget(),
  },
  {
    id: 'comedy-threaded',
    label: 'comedy threaded',
    framework: 'comedy',
    family: 'threads',
    note: "comedy 'threaded' mode: each actor under load in its own worker thread",
    unavailable: () => hasModule('comedy'),
    load: async () => (await import('./comedy')).makeComedyTarget('threaded'),
  },
  {
    id: 'tsactor-grpc',
    label: 'tsactor grpc',
    framework: 'tsactor',
    family: 'network',
    note: 'grpc:// hosts in two processes; the actors under load on the remote one',
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('grpc'),
    load: async () => (await import('./tsactor')).makeTsactorTarget('grpc'),
  },
  {
    id: 'tsactor-cluster',
    label: 'tsactor cluster',
    framework: 'tsactor',
    family: 'network',
    note: 'virtual actors (cluster.get) on 3 member processes over grpc:// (seeds membership); the driver is a member that only calls; spawn rate = activations/s; failover = ms from a kill -9 to the first answer elsewhere (ttl 1.5 s)',
    execArgv: [],
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('grpc'),
    load: async () => new (await import('./tsactor-cluster')).ClusterTarget(),
  },
  {
    id: 'tsactor-cluster-plain',
    label: 'cluster remote proxy',
    framework: 'tsactor',
    family: 'network',
    note: 'the same 3-member cluster, called through plain remote proxies (lookupUrl) to plain actors on the member that serves the virtual ones, in the same process as tsactor cluster, repetitions interleaved with its: the baseline of the virtual-actor goals',
    measuredBy: 'tsactor-cluster',
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('grpc'),
    load: () => Promise.reject(new Error('tsactor-cluster-plain is measured by tsactor-cluster')),
  },
  {
    id: 'baseline-grpc',
    label: 'grpc-js stream (bare)',
    framework: 'baseline',
    family: 'network',
    note: 'one raw @grpc/grpc-js bidi stream to a child process, messages batched per tick, no framework',
    unavailable: () => hasModule('@grpc/grpc-js'),
    load: async () => new (await import('./baseline-grpc')).GrpcStreamTarget(),
  },
  {
    id: 'comedy-remote',
    label: 'comedy remote',
    framework: 'comedy',
    family: 'network',
    note: "comedy 'remote' mode to a comedy listener on 127.0.0.1 (a child process)",
    unavailable: () => hasModule('comedy'),
    load: async () => (await import('./comedy')).makeComedyTarget('remote'),
  },
  {
    id: 'comedy-forked',
    label: 'comedy forked',
    framework: 'comedy',
    family: 'network',
    note: "comedy 'forked' mode: each actor under load in a forked child process (IPC)",
    unavailable: () => hasModule('comedy'),
    load: async () => (await import('./comedy')).makeComedyTarget('forked'),
  },
  {
    id: 'tsactor-amqp',
    label: 'tsactor amqp',
    framework: 'tsactor',
    family: 'amqp',
    note: 'amqp:// hosts in two processes over RabbitMQ on 127.0.0.1:5672 (batched persistent messages, publisher confirms, acks)',
    unavailable: async () => (await import('./tsactor')).tsactorUnavailable('amqp'),
    load: async () => (await import('./tsactor')).makeTsactorTarget('amqp'),
  },
  {
    id: 'baseline-amqp',
    label: 'amqplib (bare)',
    framework: 'baseline',
    family: 'amqp',
    note: 'plain amqplib between two processes: one sendToQueue per message, auto-ack consume, transient queues, no confirms, no framework',
    unavailable: amqpReady,
    load: async () => new (await import('./baseline-amqp')).AmqpTarget(),
  },
];

export function targetInfo(id: string): TargetInfo {
  const t = TARGETS.find((x) => x.id === id);
  if (t === undefined) throw new Error(`unknown target '${id}'; known: ${TARGETS.map((x) => x.id).join(', ')}`);
  return t;
}

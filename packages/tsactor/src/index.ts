/**
 * tsactor: the one import an application needs. Re-exports the API and registers the
 * built-in runtimes and transports.
 *
 * @example
 * ```ts
 * import { Actor, Tell, Ask, createHost, shutdown } from 'tsactor';
 *
 * @Actor
 * class Echo {
 *   @Tell echo(msg: string): void { console.log(msg); }
 *   @Ask say(): string { return 'something'; }
 * }
 *
 * const h = await createHost();
 * const e1 = await h.spawn('echo1', Echo);
 * e1.echo('hello there !!');
 * console.log(await e1.say());
 * await shutdown();
 * ```
 */
import { registerRuntime, hasRuntime, registerTransport, getTransport, registerInspector } from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';
import { threadsRuntime } from '@tsactor/runtime-threads';
import type * as GrpcPackage from '@tsactor/transport-grpc';
import type * as AmqpPackage from '@tsactor/transport-amqp';
import type * as ClusterPackage from '@tsactor/cluster';
import type * as InspectorPackage from '@tsactor/inspector';
import { lazyTransport } from './lazy-transport';

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = (): typeof GrpcPackage => require('@tsactor/transport-grpc') as typeof GrpcPackage;
const amqp = (): typeof AmqpPackage => require('@tsactor/transport-amqp') as typeof AmqpPackage;
const cluster = (): typeof ClusterPackage => require('@tsactor/cluster') as typeof ClusterPackage;
const inspector = (): typeof InspectorPackage => require('@tsactor/inspector') as typeof InspectorPackage;
/* eslint-enable @typescript-eslint/no-require-imports */

if (!hasRuntime('async')) registerRuntime(asyncRuntime);
if (!hasRuntime('threads')) registerRuntime(threadsRuntime);
if (getTransport('grpc') === undefined) registerTransport(lazyTransport(['grpc', 'grpcs'], () => grpc().grpcTransport));
// the inspector is loaded only when a host asks for one
registerInspector({ attach: (host, options) => inspector().inspectorPlugin.attach(host, options) });
if (getTransport('amqp') === undefined) registerTransport(lazyTransport(['amqp'], () => amqp().amqpTransport));

export {
  Actor,
  Tell,
  Ask,
  Ref,
  Parallel,
  ActorBase,
  Future,
  Interval,
  Timer,
  ActorError,
  AlreadyExistsError,
  NotFoundError,
  HostDownError,
  HostError,
  TimeoutError,
  FutureError,
  IntervalError,
  MailboxFullError,
  setContext,
  createHost,
  getHost,
  shutdown,
  serveForever,
  sleep,
  interval,
  later,
  watch,
  unwatch,
  registerClass,
  setErrorHandler,
  setDeadLetterHandler,
  registerRuntime,
  registerTransport,
  registerInspector,
  enableTelemetry,
} from '@tsactor/core/internal';
export type {
  TelemetryOptions,
  InspectorOptions,
  Proxy,
  HostProxy,
  HostOptions,
  Class,
  ErrorHandler,
  DeadLetter,
  DeadLetterHandler,
  ContextName,
  ActorErrorCode,
  ErrorCode,
  StopReason,
  Supervision,
  MailboxOptions,
  ActorOptions,
  WatchFunction,
} from '@tsactor/core/internal';
/**
 * Sets the user and password of the RabbitMQ broker that amqp:// hosts use (the broker's
 * address comes from TSACTOR_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672).
 * Applies to connections opened after the call.
 */
export function setRabbitCredentials(user: string, password: string): void {
  amqp().setRabbitCredentials(user, password);
}

export type { Cluster, ClusterOptions, ClusterEvents, Member, MemberStatus, MembershipOption, MembershipProvider } from '@tsactor/cluster';

/**
 * Joins a cluster (SPEC §6.4): see `@tsactor/cluster`'s `joinCluster`. The cluster package
 * (and its Redis and PostgreSQL clients) is loaded on the first call.
 */
export function joinCluster(options: ClusterPackage.ClusterOptions): Promise<ClusterPackage.Cluster> {
  return cluster().joinCluster(options);
}

/**
 * The addresses of the inspectors running in this process (started by
 * `createHost(url, { inspector: port })` or TSACTOR_INSPECTOR); empty when none runs.
 */
export function inspectorUrls(): string[] {
  return inspector().inspectorUrls();
}

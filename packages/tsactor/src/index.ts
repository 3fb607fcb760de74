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
import { registerRuntime, hasRuntime, registerTransport, getTransport } from '@tsactor/core';
import { asyncRuntime } from '@tsactor/runtime-async';
import { threadsRuntime } from '@tsactor/runtime-threads';
import { grpcTransport } from '@tsactor/transport-grpc';
import { amqpTransport } from '@tsactor/transport-amqp';

if (!hasRuntime('async')) registerRuntime(asyncRuntime);
if (!hasRuntime('threads')) registerRuntime(threadsRuntime);
if (getTransport('grpc') === undefined) registerTransport(grpcTransport);
if (getTransport('amqp') === undefined) registerTransport(amqpTransport);

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
  setContext,
  createHost,
  getHost,
  shutdown,
  serveForever,
  sleep,
  interval,
  later,
  registerClass,
  setErrorHandler,
  registerRuntime,
  registerTransport,
} from '@tsactor/core';
export type { Proxy, HostProxy, HostOptions, Class, ErrorHandler } from '@tsactor/core';
export { setRabbitCredentials } from '@tsactor/transport-amqp';

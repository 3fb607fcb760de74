/**
 * @tsactor/core: the public API of tsactor (decorators, proxies, futures, hosts, intervals,
 * errors) and the contracts that runtimes and transports implement to plug in. What the
 * tsactor packages share beyond this lives in `@tsactor/core/internal`.
 */
export {
  ActorError,
  AlreadyExistsError,
  NotFoundError,
  HostDownError,
  HostError,
  TimeoutError,
  FutureError,
  IntervalError,
  MailboxFullError,
  type ActorErrorCode,
  type ActorErrorOptions,
  type CloseCode,
  type ErrorCode,
} from './errors';
export { Actor, Tell, Ask, Ref, Parallel, type ActorMethodDecorator, type ActorClassDecorator } from './actor/decorators';
export type { ActorOptions, Supervision, MailboxOptions, StopReason } from './actor/options';
export { watch, unwatch, type WatchFunction } from './host/watch';
export { setClock, type Clock, type ClockTimer } from './clock';
export type { ActorDescription } from './actor/metadata';
export { ActorBase } from './actor/actor-base';
export type { Proxy, ProxyBase, ProxyMethod } from './actor/proxy';
export type { ActorCell } from './actor/cell';
export { Future } from './future';
export {
  setErrorHandler,
  setDeadLetterHandler,
  type DeadLetter,
  type DeadLetterHandler,
  type ActorAddress,
  type ActorChannel,
  type Reply,
  type ErrorHandler,
} from './channel';
export { interval, later, Interval, Timer } from './interval';
export { registerClass, type WireRevivable } from './wire/codec';
export {
  registerRuntime,
  registerTransport,
  type Runtime,
  type RuntimePlugin,
  type SpawnRequest,
  type SpawnedActor,
  type TransportPlugin,
  type TransportServer,
  type HostBinding,
} from './host/registry';
export { setContext, getContext, createHost, getHost, shutdown, serveForever, sleep, type ContextName } from './host/api';
export type { HostOptions, HostProxy, Class } from './host/types';
export { enableTelemetry, type TelemetryOptions } from './observe/telemetry';
export { registerInspector, type InspectorPlugin, type InspectorOptions, type InspectorHandle } from './observe/inspector-hook';

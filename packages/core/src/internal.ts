/**
 * @tsactor/core/internal: what the tsactor packages share beyond the public API (cells,
 * mailboxes, the wire codec, the router, the host). Not part of the public API: it may
 * change in any release. Applications import from `tsactor` (or `@tsactor/core`).
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
  actorErrorClasses,
  toError,
} from './errors';
export { Actor, Tell, Ask, Ref, Parallel, type ActorMethodDecorator } from './actor/decorators';
export {
  getActorDefinition,
  isActorClass,
  getActorClassByName,
  describe,
  TELL,
  ASK,
  REF,
  PARALLEL,
  type ActorDefinition,
  type ActorDescription,
} from './actor/metadata';
export { ActorBase, constructActor, type ActorFields, type LazyActorFields } from './actor/actor-base';
export {
  makeProxy,
  getHandle,
  isProxy,
  remakeRefs,
  sendAsk,
  sendTell,
  PROXY,
  type Proxy,
  type ProxyBase,
  type ProxyMethod,
  type ProxyHandle,
  type Resolver,
} from './actor/proxy';
export { ActorCell } from './actor/cell';
export { currentCell, enterCell } from './actor/current';
export { Future, askOwner, askTimeout, askMethod } from './future';
export { Mailbox } from './mailbox';
export { Dispatcher, dispatcher, type Runnable } from './dispatcher';
export { TimeoutQueue, timeouts, type Deadline } from './timeouts';
export { setErrorHandler, reportError, type ActorAddress, type ActorChannel, type Reply, type ErrorHandler } from './channel';
export { interval, later, Interval, Timer } from './interval';
export {
  registerClass,
  encodeValue,
  decodeValue,
  refRequiredError,
  internDescription,
  splitUrl,
  ClassRef,
  TAG,
  type EncodeOptions,
  type DecodeOptions,
} from './wire/codec';
export {
  WIRE_VERSION,
  EnvelopeKind,
  encodeEnvelope,
  measureEnvelope,
  writeMeasuredEnvelope,
  putVarint,
  decodeEnvelope,
  encodeFrame,
  encodeBatch,
  batchEntrySize,
  decodeFrame,
  serializeValue,
  deserializeValue,
  packValue,
  packValueText,
  unpackValue,
  packError,
  unpackError,
  malformed,
  type Envelope,
  type OutgoingEnvelope,
  type PackedValue,
  type EnvelopeKindValue,
  type Frame,
  type FrameParts,
  type Hello,
  type Welcome,
  type Close,
} from './wire/envelope';
export {
  registerRuntime,
  registerTransport,
  getRuntime,
  hasRuntime,
  getTransport,
  type Runtime,
  type RuntimePlugin,
  type SpawnRequest,
  type SpawnedActor,
  type TransportPlugin,
  type TransportServer,
  type HostBinding,
} from './host/registry';
export { router, Router, FailingChannel } from './host/router';
export { Host, LocalHost, HOST_DESCRIPTION } from './host/host';
export { resolveClassSpec, resolveClassRef, resolveSpawnClass, parseClassSpec, type ResolvedClass } from './host/resolve-class';
export { setContext, getContext, createHost, getHost, getLocalHost, shutdown, serveForever, sleep } from './host/api';
export type { HostOptions, HostProxy, Class } from './host/types';
export { adopt, isForeign } from './wire/realm';

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
  MailboxFullError,
  actorErrorClasses,
  toError,
  type ActorErrorCode,
  type ActorErrorOptions,
  type CloseCode,
  type ErrorCode,
} from './errors';
export { Actor, Tell, Ask, Ref, Parallel, type ActorMethodDecorator, type ActorClassDecorator } from './actor/decorators';
export type { ActorOptions, Supervision, MailboxOptions, StopReason } from './actor/options';
export {
  watch,
  unwatch,
  deathWatch,
  DeathWatch,
  setWatchForwarder,
  watchFrom,
  unwatchFrom,
  isStopReason,
  type WatchFunction,
  type WatchForwarder,
} from './host/watch';
export { resolveActorOptions, type ResolvedActorOptions, type ResolvedSupervision, type ResolvedMailbox } from './actor/options';
export { TERMINATED, callHook, startCell } from './actor/lifecycle';
export { backoffDelay } from './actor/supervision';
export { setClock, clock, realClock, type Clock, type ClockTimer } from './clock';
export {
  getActorDefinition,
  addMethodFlags,
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
  isProxyMethodName,
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
export { spawnCell } from './actor/spawn-cell';
export { currentCell, enterCell } from './actor/current';
export { Future, askOwner, askTimeout, askMethod, isFuture, onAskAbandoned } from './future';
export { CHUNK, Mailbox, pooledArrays, POOL_IDLE_MS } from './mailbox';
export { Dispatcher, dispatcher, type Runnable } from './dispatcher';
export { TimeoutQueue, timeouts, type Deadline } from './timeouts';
export { PendingAsks } from './pending';
export {
  setErrorHandler,
  setDeadLetterHandler,
  reportDeadLetter,
  type DeadLetter,
  type DeadLetterHandler,
  reportError,
  type ActorAddress,
  type ActorChannel,
  type Reply,
  type ErrorHandler,
} from './channel';
export { interval, later, cancelTimersOf, Interval, Timer } from './interval';
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
  type WireRevivable,
} from './wire/codec';
export {
  WIRE_VERSION,
  EnvelopeKind,
  EnvelopeSizes,
  encodeEnvelope,
  measureEnvelope,
  writeEnvelope,
  putVarint,
  varintSize,
  decodeEnvelope,
  encodeFrame,
  encodeBatch,
  batchEntrySize,
  decodeFrame,
  payloadLength,
  ReadEnvelope,
  type Envelope,
  type OutgoingEnvelope,
  type PackedValue,
  type EnvelopeKindValue,
  type Frame,
  type FrameParts,
  type Hello,
  type Welcome,
  type Close,
} from './wire/frame';
export { serializeValue, packValue, packValueText, unpackValue, unpackArgs, unpackResult, packError, unpackError } from './wire/value';
export { DEFAULT_WIRE_LIMITS, wireLimits, limitsForSize, malformed, type WireLimits } from './wire/limits';
export {
  registerRuntime,
  registerTransport,
  getRuntime,
  findRuntime,
  hasRuntime,
  registeredContexts,
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
export { deliverInbound, refuseInbound, reportRefused, type InboundPort, type AnswerKind } from './host/inbound';
export { packCall, failCall } from './host/outbound';
export { isHostAddress } from './host/host-address';
export { tokenMatches } from './host/token';
export { Host, LocalHost, HOST_DESCRIPTION } from './host/host';
export { attachChannel, attachIds, attachRoute } from './host/attach';
export type { HostTarget, IdResolver } from './host/host';
export {
  resolveClassSpec,
  resolveClassRef,
  resolveSpawnClass,
  resolveRemoteSpawnClass,
  remoteSpawnPolicy,
  parseClassSpec,
  type ResolvedClass,
  type RemoteSpawnPolicy,
} from './host/resolve-class';
export { isLoopback, authenticatesPeers, checkProtectedMode, stacksFor } from './host/trust';
export { setContext, getContext, createHost, getHost, getLocalHost, shutdown, serveForever, sleep, type ContextName } from './host/api';
export type { HostOptions, HostProxy, Class } from './host/types';
export { adopt, isForeign } from './wire/realm';
export {
  observing,
  setIncoming,
  clearIncoming,
  parentContext,
  senderUrl,
  currentTraceparent,
  currentTracestate,
  parseTraceparent,
  formatTraceparent,
  type TraceContext,
} from './observe/state';
export { enableTelemetry, telemetryOptions, type TelemetryOptions } from './observe/telemetry';
export { recordRestart, recordPeer, peerStates, type PeerState } from './observe/record';
export {
  startStats,
  actorStats,
  forgetActor,
  messageEdges,
  recentEvents,
  onObservedEvent,
  type ActorStats,
  type ObservedEvent,
} from './observe/stats';
export {
  registerInspector,
  inspectorOptionsOf,
  type InspectorPlugin,
  type InspectorOptions,
  type InspectorHandle,
} from './observe/inspector-hook';

/*
 * Compiled to CommonJS, every name re-exported above is a getter on this module's exports
 * object, and with this many of them the object is a dictionary: V8 inlines neither, so
 * each read of one of these names in another package (several per message in the
 * transports and runtimes) costs a call, about 13 ns. Once the modules above are loaded
 * their values no longer change, so the module's exports become a plain object holding
 * them (0.7 ns per read). `clock`, which setClock replaces, stays a getter (as must any
 * live binding added to the list).
 */
declare const module: { exports: unknown } | undefined;
if (typeof module !== 'undefined' && typeof module.exports === 'object' && module.exports !== null) {
  const live = module.exports as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(live)) {
    if (name === 'clock') Object.defineProperty(plain, name, { enumerable: true, get: () => live[name] });
    else Object.defineProperty(plain, name, { value: live[name], enumerable: name !== '__esModule' });
  }
  module.exports = plain;
}

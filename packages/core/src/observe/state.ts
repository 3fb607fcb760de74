/**
 * The state that observation (OpenTelemetry and the inspector) shares with the hot paths.
 * While nothing observes, the cell, the transports and the links test one boolean
 * ({@link observing}.on) and do nothing more; once something observes, messages carry
 * the W3C trace context of their sender and who sent them.
 */
import { currentCell } from '../actor/current';

/**
 * What is observed. `on` is set once something observes and never cleared: messages
 * queued while it was on must be unwrapped when their turn comes.
 */
export const observing = {
  /** messages carry their sender's trace context and are handled through the observer hook */
  on: false,
  /** per-actor counters and the graph of senders are kept (an inspector is running) */
  stats: false,
};

/** A W3C trace context: the same shape as OpenTelemetry's SpanContext. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean;
  readonly traceState?: { serialize(): string } | undefined;
}

/** The handling of a message, as seen by the messages it sends. */
export interface Invocation {
  /** the trace context the messages it sends carry (its span's, or its parent's when it records none) */
  readonly ctx: TraceContext | null;
  /** the URL of the actor handling it */
  readonly url: string;
}

let current: Invocation | null = null;
let incomingCtx: TraceContext | null = null;
let incomingSender = '';

/** Makes a tracestate object from its text (set by the telemetry module once the API is loaded). */
let makeTraceState: ((text: string) => { serialize(): string }) | null = null;
/** The span context active in OpenTelemetry's context, for sends made outside actors. */
let activeContext: (() => TraceContext | null) | null = null;

/** @internal installed by the telemetry module */
export function setContextSources(
  traceState: ((text: string) => { serialize(): string }) | null,
  active: (() => TraceContext | null) | null,
): void {
  makeTraceState = traceState;
  activeContext = active;
}

/** @internal the handling now running on this thread (returns the one it replaces) */
export function enterInvocation(i: Invocation | null): Invocation | null {
  const prev = current;
  current = i;
  return prev;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/**
 * Parses a W3C traceparent ('00-<32 hex>-<16 hex>-<2 hex>'); null when it is absent or not
 * valid (a peer's bytes: anything else is ignored, never an error).
 */
export function parseTraceparent(text: string, tracestate = ''): TraceContext | null {
  if (text.length !== 55) return null;
  const m = TRACEPARENT.exec(text);
  if (m === null || m[1] === 'ff' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return null;
  let traceState: { serialize(): string } | undefined;
  if (tracestate !== '' && makeTraceState !== null) {
    try {
      traceState = makeTraceState(tracestate);
    } catch {
      traceState = undefined;
    }
  }
  return { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16), isRemote: true, traceState };
}

/** The W3C traceparent of a trace context. */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The longest sender URL kept from a peer (longer ones are not kept). */
const MAX_SENDER = 512;

/**
 * @internal Called by a transport or a thread link right before it hands over a message
 * that came with a trace context and a sender: the message is queued as their child.
 * {@link clearIncoming} ends it.
 */
export function setIncoming(traceparent: string | undefined, tracestate: string | undefined, sender: string | undefined): void {
  incomingCtx = traceparent === undefined || traceparent === '' ? null : parseTraceparent(traceparent, tracestate ?? '');
  incomingSender = sender === undefined || sender.length > MAX_SENDER ? '' : sender;
}

/** @internal the message handed over since {@link setIncoming} is queued */
export function clearIncoming(): void {
  incomingCtx = null;
  incomingSender = '';
}

/**
 * The trace context a message sent now is the child of: the message being handed over,
 * else the handling running now, else OpenTelemetry's active span (code outside actors).
 */
export function parentContext(): TraceContext | null {
  if (incomingCtx !== null) return incomingCtx;
  if (current !== null) return current.ctx;
  return activeContext === null ? null : activeContext();
}

/** The URL of who sends a message now ('' outside actors). */
export function senderUrl(): string {
  if (incomingSender !== '') return incomingSender;
  if (current !== null) return current.url;
  return currentCell()?.url ?? '';
}

/** The traceparent a message sent now carries ('' when there is no trace). */
export function currentTraceparent(): string {
  const ctx = parentContext();
  return ctx === null ? '' : formatTraceparent(ctx);
}

/** The tracestate a message sent now carries ('' when there is none). */
export function currentTracestate(): string {
  const ctx = parentContext();
  return ctx?.traceState?.serialize() ?? '';
}

/**
 * OpenTelemetry: a span per handled message and the metrics of actors, through
 * `@opentelemetry/api` (an optional peer dependency, loaded only when telemetry is turned
 * on). Telemetry turns on when a host is created while the application has registered a
 * global tracer or meter provider (detected from the API's global slot, without loading
 * the API), or when the application calls {@link enableTelemetry}. Until then nothing is
 * loaded and nothing is recorded.
 */
import type * as OtelApi from '@opentelemetry/api';
import { HostError } from '../errors';
import type { ActorCell } from '../actor/cell';
import { observing, setContextSources, type TraceContext } from './state';
import { router } from '../host/router';

/** Options of {@link enableTelemetry}. */
export interface TelemetryOptions {
  /**
   * A module (an absolute path or a package name) that every worker thread of a 'threads'
   * host loads before anything else, to register that thread's own tracer and meter
   * providers (each thread of Node has its own OpenTelemetry globals). Without it, worker
   * threads record nothing but pass the trace context on.
   */
  workerSetup?: string;
}

/**
 * What tsactor uses of an OpenTelemetry span: structurally the API's Span, declared here so
 * that no declaration of core names the optional '@opentelemetry/api' (an application
 * without it compiles against core's types).
 */
export interface SpanLike {
  spanContext(): TraceContext;
  recordException(exception: Error): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The attributes of tsactor's metrics. */
type Attributes = Readonly<Record<string, string>>;

/** The instruments of tsactor, made once the API is loaded. */
interface Instruments {
  readonly api: typeof OtelApi;
  readonly tracer: OtelApi.Tracer;
  readonly handled: OtelApi.Counter;
  readonly duration: OtelApi.Histogram;
  readonly asks: OtelApi.Counter;
  readonly timeouts: OtelApi.Counter;
  readonly deadLetters: OtelApi.Counter;
  readonly restarts: OtelApi.Counter;
  readonly peersUp: OtelApi.Counter;
  readonly peersDown: OtelApi.Counter;
  readonly peersConnected: OtelApi.UpDownCounter;
}

let otel: Instruments | null = null;
let options: TelemetryOptions = {};

/** The key under which @opentelemetry/api (major version 1) keeps its registered globals. */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/** @internal the options given to enableTelemetry (the threads runtime passes workerSetup on) */
export function telemetryOptions(): Readonly<TelemetryOptions> | null {
  return otel === null ? null : options;
}

function loadApi(): typeof OtelApi {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer dependency, loaded only when telemetry is turned on
    return require('@opentelemetry/api') as typeof OtelApi;
  } catch (e) {
    throw new HostError(
      "telemetry needs the package '@opentelemetry/api', which is not installed: add it to the application's dependencies (with an OpenTelemetry SDK that registers a provider)",
      { code: 'TELEMETRY_UNAVAILABLE', cause: e },
    );
  }
}

/**
 * Turns OpenTelemetry on for this process: from now on every message handled by an actor
 * of this thread is a span (the child of its sender's span, whose W3C trace context every
 * message carries across threads and hosts), and tsactor's metrics are recorded through
 * the global meter provider. Register the tracer and meter providers first (the meter is
 * taken from the provider registered at this call). Hosts created while a global provider
 * is registered turn it on by themselves; call it to turn it on earlier, or to give
 * {@link TelemetryOptions}. Throws HostError (code 'TELEMETRY_UNAVAILABLE') when
 * `@opentelemetry/api` is not installed.
 */
export function enableTelemetry(opts: TelemetryOptions = {}): void {
  if (opts.workerSetup !== undefined && (typeof opts.workerSetup !== 'string' || opts.workerSetup === '')) {
    throw new TypeError(`enableTelemetry({ workerSetup }): expected a module path or name, got ${JSON.stringify(opts.workerSetup)}`);
  }
  options = { ...options, ...opts };
  if (otel !== null) return;
  const api = loadApi();
  const meter = api.metrics.getMeter('tsactor');
  otel = {
    api,
    tracer: api.trace.getTracer('tsactor'),
    handled: meter.createCounter('tsactor.messages.handled', { description: 'messages handled by actors' }),
    duration: meter.createHistogram('tsactor.message.duration', { description: 'time to handle a message', unit: 's' }),
    asks: meter.createCounter('tsactor.asks', { description: 'asks handled by actors' }),
    timeouts: meter.createCounter('tsactor.ask.timeouts', { description: 'asks whose caller stopped waiting (TimeoutError)' }),
    deadLetters: meter.createCounter('tsactor.dead_letters', { description: 'messages dropped (see setDeadLetterHandler)' }),
    restarts: meter.createCounter('tsactor.restarts', { description: 'actors restarted by their supervisor' }),
    peersUp: meter.createCounter('tsactor.peers.up', { description: 'connections to peer hosts that came up' }),
    peersDown: meter.createCounter('tsactor.peers.down', { description: 'connections to peer hosts that went down' }),
    peersConnected: meter.createUpDownCounter('tsactor.peers.connected', { description: 'connections to peer hosts now up' }),
  };
  meter
    .createObservableGauge('tsactor.mailbox.depth', { description: 'messages waiting in the mailboxes of a host' })
    .addCallback((result) => {
      for (const host of router.hosts.values()) {
        let depth = 0;
        for (const a of host.inspectActors()) if (a.cell !== null) depth += a.cell.depth;
        result.observe(depth, { 'tsactor.host': host.base });
      }
    });
  setContextSources(
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the API's only way to parse a tracestate without depending on an SDK package
    (text) => api.createTraceState(text),
    () => api.trace.getSpanContext(api.context.active()) ?? null,
  );
  observing.on = true;
}

/**
 * @internal Called when a host is created: turns telemetry on when the application has
 * registered an OpenTelemetry provider (without loading the API when it has not).
 */
export function detectTelemetry(): void {
  if (otel !== null) return;
  const slot = (globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>)[GLOBAL_KEY];
  if (slot === undefined || (slot.trace === undefined && slot.metrics === undefined)) return;
  enableTelemetry();
}

/** Attributes of the metrics of one actor, made once per actor and kind. */
const metricAttrs = new WeakMap<ActorCell, [Attributes, Attributes]>();

/** The runtime of the actor's host ('threads' in a worker thread, where no host lives). */
function runtimeOf(cell: ActorCell): string {
  return router.hosts.get(cell.hostBase)?.context ?? 'threads';
}

/** The attributes of an actor's metrics, for a tell or an ask. */
function metricAttributes(cell: ActorCell, ask: boolean): Attributes {
  let a = metricAttrs.get(cell);
  if (a === undefined) {
    const base = { 'tsactor.actor.class': cell.def.name, 'tsactor.host': cell.hostBase, 'tsactor.runtime': runtimeOf(cell) };
    a = [
      { ...base, 'tsactor.message.kind': 'tell' },
      { ...base, 'tsactor.message.kind': 'ask' },
    ];
    metricAttrs.set(cell, a);
  }
  return a[ask ? 1 : 0];
}

/** @internal starts the span of a message `cell` handles (null when telemetry is off) */
export function startSpan(cell: ActorCell, method: string, ask: boolean, parent: TraceContext | null): SpanLike | null {
  const o = otel;
  if (o === null) return null;
  const api = o.api;
  const ctx = parent === null ? api.ROOT_CONTEXT : api.trace.setSpanContext(api.ROOT_CONTEXT, parent as OtelApi.SpanContext);
  return o.tracer.startSpan(
    `${cell.def.name}.${method}`,
    {
      kind: ask ? api.SpanKind.SERVER : api.SpanKind.CONSUMER,
      attributes: {
        'tsactor.actor.url': cell.url,
        'tsactor.actor.class': cell.def.name,
        'tsactor.method': method,
        'tsactor.message.kind': ask ? 'ask' : 'tell',
        'tsactor.host': cell.hostBase,
        'tsactor.runtime': runtimeOf(cell),
      },
    },
    ctx,
  );
}

/** @internal a message was handled (`seconds` after it started; `error` when it failed) */
export function endSpan(span: SpanLike | null, cell: ActorCell, ask: boolean, seconds: number, error: unknown): void {
  const o = otel;
  if (o === null) return;
  if (span !== null) {
    if (error !== undefined) {
      const e = error instanceof Error ? error : new Error(typeof error === 'string' ? error : 'a value that is not an Error was thrown');
      span.recordException(e);
      span.setStatus({ code: o.api.SpanStatusCode.ERROR, message: e.message });
    }
    span.end();
  }
  const attrs = metricAttributes(cell, ask);
  o.handled.add(1, attrs);
  o.duration.record(seconds, attrs);
  if (ask) o.asks.add(1, attrs);
}

/** @internal an ask timed out */
export function recordTimeout(target: string, method: string): void {
  otel?.timeouts.add(1, { 'tsactor.target': target, 'tsactor.method': method });
}

/** @internal a dead letter */
export function recordDeadLetter(reason: string, count: number): void {
  otel?.deadLetters.add(count, { 'tsactor.reason': reason });
}

/** @internal an actor restarted */
export function recordRestartMetric(url: string): void {
  otel?.restarts.add(1, { 'tsactor.actor.url': url });
}

/** @internal a connection to the peer host `base` came up or went down */
export function recordPeerMetric(base: string, up: boolean, transport: string): void {
  const o = otel;
  if (o === null) return;
  const attrs = { 'tsactor.peer': base, 'tsactor.transport': transport };
  (up ? o.peersUp : o.peersDown).add(1, attrs);
  o.peersConnected.add(up ? 1 : -1, attrs);
}

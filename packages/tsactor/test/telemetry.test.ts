/**
 * OpenTelemetry: one trace across two grpc:// hosts and a worker thread (the span of each
 * handled message is the child of its sender's), and the metrics of actors, recorded with
 * the SDK's in-memory exporters.
 */
import * as path from 'node:path';
import { metrics, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { TimeoutError, createHost, enableTelemetry, setContext, shutdown, type Proxy } from 'tsactor';
import { Back, Front, Leaf } from './fixtures/telemetry/actors';
import { freePort } from '@tsactor/testing';

interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  thread: 'main' | 'worker';
}

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const workerSpans: SpanRecord[] = [];
const workerChannel = new BroadcastChannel('tsactor-telemetry-test');
let spanArrived: (() => void) | null = null;
workerChannel.onmessage = (ev: Event) => {
  const list = (ev as unknown as { data: Array<Omit<SpanRecord, 'thread'>> }).data;
  for (const s of list) workerSpans.push({ ...s, thread: 'worker' });
  spanArrived?.();
};

function mainSpans(): SpanRecord[] {
  return spans.getFinishedSpans().map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    attributes: { ...s.attributes },
    thread: 'main',
  }));
}

/** Resolves once a span named `name` has been exported by a worker thread. */
async function workerSpan(name: string): Promise<SpanRecord> {
  for (;;) {
    const found = workerSpans.find((s) => s.name === name);
    if (found !== undefined) return found;
    await new Promise<void>((resolve) => (spanArrived = resolve));
  }
}

function one(list: SpanRecord[], name: string): SpanRecord {
  const found = list.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function metric(name: string): Promise<number> {
  await reader.forceFlush();
  const all = metricExporter.getMetrics();
  const latest = all[all.length - 1];
  let total = 0;
  for (const scope of latest?.scopeMetrics ?? []) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const p of m.dataPoints) {
        if (m.dataPointType === DataPointType.HISTOGRAM) total += (p.value as { count: number }).count;
        else total += p.value as number;
      }
    }
  }
  return total;
}

let front: Proxy<Front>;
let leaf: Proxy<Leaf>;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  // workers have their own OpenTelemetry globals: each loads this module to register its provider
  enableTelemetry({ workerSetup: path.join(__dirname, 'fixtures/telemetry/worker-setup.js') });
  const aUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  setContext('async');
  const a = await createHost(aUrl);
  setContext('threads');
  const b = await createHost(bUrl, { threads: 1 });
  setContext('async');
  leaf = await a.spawn('leaf', Leaf);
  const leafFromB = await b.lookupUrl(`${aUrl}leaf`, Leaf);
  await b.spawn('back', Back, leafFromB);
  front = await a.spawn('front', Front);
  await front.use(await a.lookupUrl(`${bUrl}back`, Back));
}, 30_000);

afterAll(async () => {
  workerChannel.close();
  await shutdown();
});

it('records one trace across a gRPC hop to a worker thread and back: each span the child of its sender', async () => {
  spans.reset();
  expect(await front.run('x')).toBe('front(back(noted x))');

  const backSpan = await workerSpan('Back.work');
  const main = mainSpans();
  const frontSpan = one(main, 'Front.run');
  const leafSpan = one(main, 'Leaf.note');

  expect(frontSpan.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(backSpan.traceId).toBe(frontSpan.traceId);
  expect(leafSpan.traceId).toBe(frontSpan.traceId);
  expect(backSpan.parentSpanId).toBe(frontSpan.spanId);
  expect(leafSpan.parentSpanId).toBe(backSpan.spanId);
  expect(frontSpan.parentSpanId).toBeUndefined();

  expect(frontSpan.attributes).toMatchObject({
    'tsactor.actor.url': expect.stringMatching(/^grpc:\/\/127\.0\.0\.1:\d+\/front$/) as unknown,
    'tsactor.method': 'run',
    'tsactor.message.kind': 'ask',
    'tsactor.runtime': 'async',
  });
  expect(backSpan.attributes).toMatchObject({ 'tsactor.method': 'work', 'tsactor.runtime': 'threads', 'tsactor.message.kind': 'ask' });
  expect(backSpan.attributes['tsactor.host']).not.toBe(frontSpan.attributes['tsactor.host']);
  expect(leafSpan.attributes['tsactor.host']).toBe(frontSpan.attributes['tsactor.host']);
}, 30_000);

it('marks the span of a failed message as an error', async () => {
  spans.reset();
  await expect(leaf.fail()).rejects.toThrow('leaf failed on purpose');
  const failed = one(mainSpans(), 'Leaf.fail');
  const raw = spans.getFinishedSpans().find((s) => s.name === 'Leaf.fail')!;
  expect(failed.attributes['tsactor.message.kind']).toBe('ask');
  expect(raw.status.code).toBe(2); // SpanStatusCode.ERROR
  expect(raw.events.map((e) => e.name)).toContain('exception');
});

it('counts handled messages, asks, their handling time, timeouts and peers up', async () => {
  const handledBefore = await metric('tsactor.messages.handled');
  const asksBefore = await metric('tsactor.asks');
  const durationsBefore = await metric('tsactor.message.duration');
  await leaf.note('a');
  await leaf.note('b');
  expect(await metric('tsactor.messages.handled')).toBe(handledBefore + 2);
  expect(await metric('tsactor.asks')).toBe(asksBefore + 2);
  expect(await metric('tsactor.message.duration')).toBe(durationsBefore + 2);

  const timeoutsBefore = await metric('tsactor.ask.timeouts');
  await expect(leaf.withTimeout(0.02).slow(500)).rejects.toBeInstanceOf(TimeoutError);
  expect(await metric('tsactor.ask.timeouts')).toBe(timeoutsBefore + 1);

  // the two hosts connected to each other over gRPC
  expect(await metric('tsactor.peers.up')).toBeGreaterThanOrEqual(2);
  expect(await metric('tsactor.peers.connected')).toBeGreaterThanOrEqual(2);
});

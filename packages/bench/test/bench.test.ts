/**
 * The benchmark suite's own checks: statistics, the goals table, the report writers, and
 * the tsactor 'async' workloads at a small size (each must pass its own result check).
 */
import { median, quantile, spreadPct, fmt } from '../src/stats';
import { evaluateGoals, ratio, toMarkdown, toReadmeSection, toSvg } from '../src/report';
import { measure, type ChildOptions } from '../src/runner';
import { LostMessagesError, pipelined, sequentialAsks, type TargetImpl } from '../src/targets/types';
import type { CellResult, Results, TargetRecord } from '../src/results';
import { TsactorTarget } from '../src/targets/tsactor';

const OPTS: ChildOptions = { quick: true, reps: 3, targetMs: 5, workloads: [], memoryActors: 500 };

describe('stats', () => {
  it('takes medians, nearest-rank quantiles and half-range spreads', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile(Float64Array.from([5, 1, 4, 2, 3]), 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(spreadPct([90, 100, 110])).toBeCloseTo(10);
    expect(fmt(1234567)).toBe('1.23M');
    expect(fmt(12345)).toBe('12.3k');
    expect(fmt(0.5)).toBe('0.500');
  });
});

function cell(target: string, workload: CellResult['workload'], value: number): CellResult {
  return { target, workload, status: 'ok', value, reps: [value], n: 1 };
}

const TARGETS: TargetRecord[] = [
  { id: 'tsactor-async', label: 'tsactor async', framework: 'tsactor', family: 'in-process', note: '', available: true },
  { id: 'comedy-memory', label: 'comedy in-memory', framework: 'comedy', family: 'in-process', note: '', available: true },
  { id: 'tsactor-amqp', label: 'tsactor amqp', framework: 'tsactor', family: 'amqp', note: '', available: false, reason: 'no broker' },
  { id: 'baseline-amqp', label: 'amqplib (bare)', framework: 'baseline', family: 'amqp', note: '', available: true },
];

describe('goals', () => {
  const cells: CellResult[] = [
    cell('tsactor-async', 'counting', 5e6),
    cell('comedy-memory', 'counting', 4e5),
    cell('tsactor-async', 'ask-latency', 0.3),
    cell('comedy-memory', 'ask-latency', 1.8),
    cell('tsactor-async', 'spawn', 3e5),
    cell('comedy-memory', 'spawn', 2e4),
    cell('tsactor-async', 'memory', 800),
    { target: 'comedy-memory', workload: 'pingpong', status: 'failed', error: 'LostMessagesError: count: expected 10, got 9' },
    cell('tsactor-async', 'pingpong', 1e6),
  ];
  const goals = evaluateGoals(cells, TARGETS);
  const byName = (s: string) => goals.find((g) => g.name.startsWith(s))!;

  it('orients ratios so that more than 1 means tsactor is ahead', () => {
    expect(ratio(cells, 'tsactor-async', 'comedy-memory', 'counting')).toBeCloseTo(12.5);
    expect(ratio(cells, 'tsactor-async', 'comedy-memory', 'ask-latency')).toBeCloseTo(6);
    expect(byName('async counting').met).toBe(true);
    expect(byName('async sequential asks').met).toBe(true);
  });

  it('fails a goal on its extra bound even when the ratio is met', () => {
    const g = byName('async spawn');
    expect(g.ratio).toBeCloseTo(15);
    expect(g.extra).toMatchObject({ value: 800, max: 500, met: false });
    expect(g.met).toBe(false);
  });

  it('says why a goal was not measured instead of giving a figure', () => {
    expect(byName('async pingpong')).toMatchObject({ ratio: null, met: null });
    expect(byName('async pingpong').why).toContain('LostMessagesError');
    expect(byName('AMQP tells').why).toContain('not available: no broker');
  });

  it('writes a failed cell as a failure, not a figure, in every format', () => {
    const res: Results = {
      meta: {
        date: '2026-01-01T00:00:00.000Z',
        quick: true,
        reps: 3,
        targetMs: 60,
        node: '20.0.0',
        platform: 'linux x64',
        cpus: 2,
        cpuModel: 'test cpu',
        memGiB: 24,
        loadBefore: [0, 0, 0],
        loadAfter: [0, 0, 0],
        commit: null,
        durationS: 1,
      },
      targets: TARGETS,
      cells,
      goals,
    };
    const md = toMarkdown(res);
    expect(md).toMatch(/\| pingpong \| round trips\/s \| 1\.00M \| \*\*failed\*\* \|/);
    expect(md).toContain('comedy-memory / pingpong: LostMessagesError');
    expect(md).toContain('| async counting ≥ 10× comedy in-memory | 13× | yes |');
    expect(toReadmeSection(res)).toMatch(/^## Performance/);
    const svg = toSvg(res);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('FAILED');
    expect(svg).toContain('not available in this run: tsactor amqp (no broker)');
  });
});

describe('runner', () => {
  it('reports lost messages as an error, not a figure', async () => {
    const lossy: TargetImpl = {
      setup: async () => undefined,
      teardown: async () => undefined,
      counting: async (n) => {
        // one message in a thousand goes missing
        const got = n - Math.floor(n / 1000);
        if (got !== n) throw new LostMessagesError(`count: expected ${n}, got ${got}`);
        return { ms: 1 };
      },
    };
    await expect(measure(lossy, 'lossy', 'counting', OPTS, undefined)).rejects.toThrow(LostMessagesError);
  });

  it('takes the median of the repetitions and the latency quantiles', async () => {
    let call = 0;
    const fake: TargetImpl = {
      setup: async () => undefined,
      teardown: async () => undefined,
      askLatency: async (n) => {
        call++;
        return { ms: n * 0.001, latencies: Float64Array.from({ length: n }, (_, i) => (i < n * 0.99 ? 1 : 100)) };
      },
    };
    const r = await measure(fake, 'fake', 'ask-latency', OPTS, undefined);
    expect(r).toMatchObject({ status: 'ok', value: 1, p50: 1, p99: 1 });
    expect(r.reps).toHaveLength(3);
    expect(call).toBeGreaterThan(3);
  });

  it('keeps a window of asks in flight and checks every answer', async () => {
    let inFlight = 0;
    let most = 0;
    const answers: number[] = [];
    await pipelined(
      100,
      8,
      (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        return new Promise<number>((resolve) =>
          setImmediate(() => {
            inFlight--;
            resolve(i);
          }),
        );
      },
      (i, v) => answers.push(v - i),
    );
    expect(most).toBe(8);
    expect(answers).toHaveLength(100);
    expect(answers.every((d) => d === 0)).toBe(true);
    await expect(sequentialAsks(5, async (i) => (i === 3 ? -1 : i))).rejects.toThrow(/ask 3 answered -1/);
  });
});

describe("tsactor 'async' workloads", () => {
  const t = new TsactorTarget('async');
  beforeAll(() => t.setup());
  afterAll(() => t.teardown());

  it('each passes its own check at a small size', async () => {
    expect((await t.pingpong(200)).ms).toBeGreaterThan(0);
    expect((await t.counting(1000)).ms).toBeGreaterThan(0);
    expect((await t.threadring(300, 10)).ms).toBeGreaterThan(0);
    expect((await t.forkjoin(100, 8)).ms).toBeGreaterThan(0);
    expect((await t.askLatency(100)).latencies).toHaveLength(100);
    expect((await t.askThroughput(300, 16)).ms).toBeGreaterThan(0);
    expect((await t.spawn(200)).ms).toBeGreaterThan(0);
  });

  it('runs again on the same actors (counts start from zero each time)', async () => {
    await t.counting(500);
    await t.pingpong(50);
    await t.threadring(25, 10);
  });
});

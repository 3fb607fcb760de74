/**
 * The benchmark suite's own checks: statistics, the goals table, the report writers, and
 * the tsactor 'async' workloads at a small size (each must pass its own result check).
 */
import { median, quantile, spreadPct, fmt } from '../src/stats';
import { evaluateGoals, ratio, toMarkdown, toReadmeSection, toSvg } from '../src/report';
import { WARM_OPS, measure, measurePair, roundOrder, type ChildOptions } from '../src/runner';
import { LostMessagesError, pipelinedAsks, sequentialAsks, type TargetImpl } from '../src/targets/types';
import type { CellResult, Results, TargetRecord } from '../src/results';
import { TsactorTarget } from '../src/targets/tsactor';
import { BareLoopTarget } from '../src/targets/baseline-loop';
import { compareResults, compareText } from '../src/compare';

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
    expect(g.extra).toMatchObject({ value: 800, max: 400, met: false });
    expect(g.met).toBe(false);
  });

  it('reads "at most k× theirs" latency goals as a ratio of at least 1/k, and bound-only goals on their p99', () => {
    const targets: TargetRecord[] = [
      ...TARGETS,
      { id: 'tsactor-threads', label: 'tsactor threads', framework: 'tsactor', family: 'threads', note: '', available: true },
      { id: 'baseline-postmessage', label: 'postMessage (bare)', framework: 'baseline', family: 'threads', note: '', available: true },
      { id: 'tsactor-cluster', label: 'tsactor cluster', framework: 'tsactor', family: 'network', note: '', available: true },
    ];
    const at = (ours: number, bare: number, failoverP99: number) =>
      evaluateGoals(
        [
          cell('tsactor-threads', 'ask-latency', ours),
          cell('baseline-postmessage', 'ask-latency', bare),
          { ...cell('tsactor-cluster', 'failover', 900), p99: failoverP99 },
        ],
        targets,
      );
    const threads = (g: ReturnType<typeof at>) => g.find((x) => x.name.startsWith('threads sequential asks'))!;
    const failover = (g: ReturnType<typeof at>) => g.find((x) => x.name.startsWith('cluster failover'))!;
    expect(threads(at(54, 50, 1500)).met).toBe(true); // 1.08× the bare latency
    expect(threads(at(56, 50, 1500)).met).toBe(false); // 1.12×
    expect(failover(at(54, 50, 1500))).toMatchObject({ ratio: null, met: true, extra: { value: 1500, max: 2000 } });
    expect(failover(at(54, 50, 2500)).met).toBe(false);
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

  it('reverses the order of the targets every other round', () => {
    expect([0, 1, 2, 3].map((r) => roundOrder(['a', 'b', 'c'], r).join(''))).toEqual(['abc', 'cba', 'abc', 'cba']);
    // over an even number of rounds each target is first as often as last
    const firsts = [0, 1, 2, 3, 4, 5].map((r) => roundOrder(['a', 'b'], r)[0]);
    expect(firsts.filter((x) => x === 'a')).toHaveLength(3);
  });

  it('measures a pair of targets with one size, their repetitions interleaved', async () => {
    const order: string[] = [];
    const fake = (name: string, nsPerMsg: number): TargetImpl => ({
      setup: async () => undefined,
      teardown: async () => undefined,
      counting: async (n) => {
        order.push(`${name}:${n}`);
        return { ms: (n * nsPerMsg) / 1e6 };
      },
    });
    const [a, b] = await measurePair({ impl: fake('a', 100), target: 'a' }, { impl: fake('b', 200), target: 'b' }, 'counting', OPTS);
    expect([a.target, b.target]).toEqual(['a', 'b']);
    expect(a.n).toBe(b.n);
    expect(a.value! / b.value!).toBeCloseTo(2);
    expect([a.interleavedWith, b.interleavedWith]).toEqual([['b'], ['a']]);
    // calibration on a alone, then a, b, b, a, a, b at the calibrated size (OPTS.reps is 3)
    const n = a.n!;
    expect(order.slice(-6)).toEqual([`a:${n}`, `b:${n}`, `b:${n}`, `a:${n}`, `a:${n}`, `b:${n}`]);
    expect(order.slice(0, -6).every((x) => x.startsWith('a:'))).toBe(true);
  });

  it('warms a target up for WARM_OPS operations before its repetitions, however small they are', async () => {
    // a target whose code is 'optimized' after WARM_OPS messages: 10 µs a message before, 1 µs after
    const fake = (): { impl: TargetImpl; done: () => number } => {
      let done = 0;
      const impl: TargetImpl = {
        setup: async () => undefined,
        teardown: async () => undefined,
        counting: async (n) => {
          const ms = (n * (done < WARM_OPS ? 10 : 1)) / 1000;
          done += n;
          return { ms };
        },
      };
      return { impl, done: () => done };
    };
    const full: ChildOptions = { ...OPTS, quick: false };
    const a = fake();
    const cell = await measure(a.impl, 'a', 'counting', full, undefined);
    // every repetition ran on warm code: 1 µs a message
    expect(cell.value).toBeCloseTo(1e6);
    expect(cell.spreadPct).toBeCloseTo(0);
    // the pair's second target warms up the same way before the interleaved repetitions
    const b = fake();
    const c = fake();
    const [ca, cb] = await measurePair({ impl: b.impl, target: 'b' }, { impl: c.impl, target: 'c' }, 'counting', full);
    expect([ca.value, cb.value].map((v) => Math.round(v! / 1e3))).toEqual([1000, 1000]);
    expect(c.done()).toBeGreaterThanOrEqual(WARM_OPS + full.reps * cb.n!);
  });

  it('keeps a window of asks in flight and checks every answer', async () => {
    let inFlight = 0;
    let most = 0;
    let asked = 0;
    const r = await pipelinedAsks(100, 8, (i) => {
      inFlight++;
      asked++;
      most = Math.max(most, inFlight);
      return new Promise<number>((resolve) =>
        setImmediate(() => {
          inFlight--;
          resolve(i);
        }),
      );
    });
    expect(most).toBe(8);
    expect(asked).toBe(100);
    expect(r.ms).toBeGreaterThan(0);
    await expect(pipelinedAsks(20, 4, async (i) => (i === 13 ? 0 : i))).rejects.toThrow(/ask 13 answered 0/);
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

describe('the bare loop', () => {
  const t = new BareLoopTarget();

  it('counts every tell and plays every round of pingpong, again and again', async () => {
    for (const n of [1, 1000, 100_000]) expect((await t.counting(n)).ms).toBeGreaterThanOrEqual(0);
    for (const n of [1, 500]) expect((await t.pingpong(n)).ms).toBeGreaterThanOrEqual(0);
  });

  it('is what the async figures are read against', () => {
    const cells: CellResult[] = [cell('tsactor-async', 'counting', 18e6), cell('baseline-loop', 'counting', 20e6)];
    const targets: TargetRecord[] = [
      TARGETS[0]!,
      { id: 'baseline-loop', label: 'bare loop', framework: 'baseline', family: 'in-process', note: '', available: true },
    ];
    const g = evaluateGoals(cells, targets).find((x) => x.name === 'async counting ≥ 0.9× the bare loop')!;
    expect(g.ratio).toBeCloseTo(0.9);
    expect(g.met).toBe(true);
    expect(evaluateGoals(cells, targets).find((x) => x.name === 'async pingpong ≥ 0.9× the bare loop')!.met).toBeNull();
  });
});

describe('--compare', () => {
  const meta = (date: string): Results['meta'] => ({
    date,
    quick: false,
    reps: 5,
    targetMs: 400,
    node: '20.0.0',
    platform: 'linux x64',
    cpus: 2,
    cpuModel: 'test cpu',
    memGiB: 24,
    loadBefore: [0, 0, 0],
    loadAfter: [0, 0, 0],
    commit: 'abcdef0123456789',
    durationS: 1,
  });
  const spread = (target: string, workload: CellResult['workload'], value: number, spreadPct: number): CellResult => ({
    ...cell(target, workload, value),
    spreadPct,
  });
  const before: Results = {
    meta: meta('2026-01-01T00:00:00.000Z'),
    targets: TARGETS,
    goals: [],
    cells: [
      spread('tsactor-async', 'counting', 20e6, 5),
      spread('tsactor-async', 'pingpong', 10e6, 2),
      spread('tsactor-async', 'ask-latency', 0.35, 2),
      spread('comedy-memory', 'counting', 400e3, 3),
      spread('nact', 'counting', 400e3, 3),
      { target: 'comedy-memory', workload: 'pingpong', status: 'failed', error: 'LostMessagesError' },
    ],
  };
  const after: Results = {
    ...before,
    meta: meta('2026-01-02T00:00:00.000Z'),
    cells: [
      spread('tsactor-async', 'counting', 18e6, 4), // -10% beyond ±9%: a regression
      spread('tsactor-async', 'pingpong', 9.8e6, 2), // -2% within ±4%
      spread('tsactor-async', 'ask-latency', 0.3, 2), // latency down 14%: better
      spread('comedy-memory', 'counting', 480e3, 3),
      spread('comedy-memory', 'pingpong', 1e6, 3),
      spread('baseline-loop', 'counting', 21e6, 2),
      { target: 'tsactor-threads', workload: 'counting', status: 'failed', error: 'stalled' },
    ],
  };
  const changes = compareResults(before, after);
  const of = (target: string, w: string) => changes.find((c) => c.target === target && c.workload === w)!;

  it('flags a change beyond the noise of both runs, oriented by the workload', () => {
    expect(of('tsactor-async', 'counting')).toMatchObject({ flag: 'regression', noisePct: 9 });
    expect(of('tsactor-async', 'counting').changePct).toBeCloseTo(-10);
    expect(of('tsactor-async', 'pingpong').flag).toBe('within noise');
    expect(of('tsactor-async', 'ask-latency').flag).toBe('improved');
    expect(of('comedy-memory', 'counting').flag).toBe('improved');
  });

  it('says what is new, failed, fixed or no longer run', () => {
    expect(of('baseline-loop', 'counting').flag).toBe('new');
    expect(of('tsactor-threads', 'counting').flag).toBe('failed');
    expect(of('comedy-memory', 'pingpong').flag).toBe('improved');
    expect(of('nact', 'counting')).toMatchObject({ flag: 'not run', before: 400e3, after: null });
  });

  it('prints one line per figure and counts what got worse', () => {
    const text = compareText(changes, before, after, 'baseline.json');
    expect(text[0]).toContain('change from baseline.json (full run of 2026-01-01T00:00, abcdef0123)');
    expect(text.find((l) => l.includes('counting') && l.includes('tsactor-async'))).toMatch(
      /20\.0M → +18\.0M msgs\/s +-10\.0% +±9% {2}\*\* REGRESSION \*\*$/,
    );
    expect(text[text.length - 2]).toBe('  (1 figure(s) of baseline.json not measured in this run)');
    expect(text[text.length - 1]).toBe('2 figure(s) worse beyond the noise, or failed');
    expect(text).toHaveLength(1 + 7 + 2);
  });
});

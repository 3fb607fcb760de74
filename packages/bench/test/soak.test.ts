/**
 * The soak run: its verdict and tally checks on made-up data, and a bounded run of the real
 * thing (50,000 messages over async, threads and gRPC, the peer restarted three times) that
 * must complete with every ask settled as designed and every process it started ended.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { judge, type SoakSample } from '../src/soak/verdict';
import { tallyFailures, type SoakResult } from '../src/soak/run';
import { emptyTally, type Tally } from '../src/soak/rounds';
import { parseCount } from '../src/soak';
import { soakSvg } from '../src/soak/plot';

const MiB = 2 ** 20;

/** One sample per second from `from` to `to` for `proc`, memory given by `mb(t)`. */
function series(proc: string, from: number, to: number, mb: (t: number) => number): SoakSample[] {
  const out: SoakSample[] = [];
  for (let t = from; t <= to; t++) out.push({ t, proc, rss: mb(t) * 4 * MiB, heapUsed: mb(t) * MiB });
  return out;
}

describe('soak verdict', () => {
  it('is flat when memory after warm-up stays within the bound, whatever it did during warm-up', () => {
    // grows fast during warm-up (0..20 s), then wobbles by ±2%
    const s = series('driver', 0, 100, (t) => (t < 20 ? 10 + t : 30 + (t % 2 === 0 ? 0.6 : -0.6)));
    const v = judge(s, 20, 100);
    expect(v.result).toBe('flat');
    expect(v.maxGrowth).toBeLessThan(0.05);
    expect(v.growths.map((g) => g.metric).sort()).toEqual(['heapUsed', 'rss']);
  });

  it('is growing when a long-lived process grows beyond the bound after warm-up', () => {
    const s = [...series('soak', 0, 100, () => 20), ...series('driver', 0, 100, (t) => 30 + t * 0.05)];
    const v = judge(s, 20, 100);
    expect(v.result).toBe('growing');
    expect(v.reason).toMatch(/^driver (rss|heapUsed) grew 1\d\.\d% after warm-up \(bound 10\.0%\)$/);
    expect(judge(s, 20, 100, 0.2).result).toBe('flat');
  });

  it('reports a peer that was restarted but does not judge it', () => {
    const s = [
      ...series('driver', 0, 100, () => 30),
      ...series('peer 1', 0, 50, (t) => 10 + t), // grows, then is restarted
      ...series('peer 2', 51, 100, () => 10),
    ];
    const v = judge(s, 20, 100);
    expect(v.result).toBe('flat');
    const peer1 = v.growths.find((g) => g.proc === 'peer 1' && g.metric === 'heapUsed')!;
    expect(peer1.judged).toBe(false);
    expect(peer1.growth).toBeGreaterThan(0.5);
    expect(v.growths.filter((g) => g.judged).every((g) => g.proc === 'driver')).toBe(true);
  });

  it('judges worker threads by their heap alone', () => {
    const s: SoakSample[] = [
      ...series('driver', 0, 60, () => 30),
      ...series('driver/worker 1', 0, 60, (t) => 5 + t).map(({ t, proc, heapUsed }) => ({ t, proc, heapUsed })),
    ];
    const v = judge(s, 20, 60);
    expect(v.result).toBe('growing');
    expect(v.growths.filter((g) => g.proc === 'driver/worker 1').map((g) => g.metric)).toEqual(['heapUsed']);
  });

  it('is inconclusive when the run is too short to have samples after warm-up', () => {
    const v = judge(
      series('driver', 0, 3, () => 30),
      3,
      3.5,
    );
    expect(v.result).toBe('inconclusive');
    expect(v.reason).toContain('driver has 1 sample(s) after warm-up');
  });

  it('draws the verdict, the warm-up mark and the restarts', () => {
    const s = [...series('driver', 0, 30, () => 30), ...series('peer 1', 0, 15, () => 10), ...series('peer 2', 16, 30, () => 10)];
    const svg = soakSvg({
      title: 't',
      samples: s,
      warmT: 6,
      endT: 30,
      events: [{ t: 15, what: 'peer restart 1 (SIGKILL)' }],
      verdict: judge(s, 6, 30),
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('verdict: flat');
    expect(svg).toContain('<title>peer restart 1 (SIGKILL)</title>');
    expect(svg.match(/<polyline /g)).toHaveLength(6); // 3 processes × 2 panels
  });
});

describe('soak tallies', () => {
  const settled = (over: Partial<Tally>): Tally => ({ ...emptyTally(), rounds: 1, asks: 10, answered: 8, timedOut: 2, ...over });

  it('accepts asks that all settled as designed', () => {
    expect(tallyFailures({ async: settled({}), threads: settled({}), grpc: settled({ answered: 5, peerDown: 3 }) })).toEqual([]);
  });

  it('reports unexpected outcomes, asks that never settled, and a runtime that never ran', () => {
    const f = tallyFailures({
      async: settled({ answered: 7, unexpected: 1, unexpectedSamples: ['echo(3) answered 4'] }),
      threads: settled({ answered: 6 }),
      grpc: { ...emptyTally() },
    });
    expect(f).toEqual([
      'async: 1 unexpected outcome(s), e.g. echo(3) answered 4',
      'threads: 10 asks sent but 8 settled',
      'grpc: no round ran',
    ]);
  });

  it('reads message counts', () => {
    expect(parseCount('50000')).toBe(50_000);
    expect(parseCount('10_000_000')).toBe(10_000_000);
    expect(parseCount('1e6')).toBe(1_000_000);
    expect(parseCount('500k')).toBe(500_000);
    expect(parseCount('10M')).toBe(10_000_000);
    expect(() => parseCount('lots')).toThrow(/--messages: expected a positive whole count/);
    expect(() => parseCount('0')).toThrow(/--messages/);
  });
});

describe('a bounded soak run (50,000 messages)', () => {
  const ROOT = path.resolve(__dirname, '..', '..', '..');
  let out: string;
  let result: SoakResult;
  let stdout = '';
  let code: number | null = null;

  beforeAll(async () => {
    // the run forks compiled scripts: build them first (a no-op when up to date)
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/bench'], { cwd: ROOT, stdio: 'inherit' });
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-soak-'));
    const child = spawn(process.execPath, [path.join(ROOT, 'packages/bench/dist/soak.js'), '--messages', '50000', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, TSACTOR_CONTEXT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    result = JSON.parse(fs.readFileSync(path.join(out, 'soak.json'), 'utf8')) as SoakResult;
  }, 180_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('completes, ends by itself with success, and prints a verdict', () => {
    expect({ code, failures: result.failures }).toEqual({ code: 0, failures: [] });
    expect(stdout).toMatch(/verdict: memory (FLAT|INCONCLUSIVE)/);
    expect(fs.readFileSync(path.join(out, 'soak.svg'), 'utf8').startsWith('<svg')).toBe(true);
  });

  it('sends the messages over async, threads and gRPC, and settles every ask as designed', () => {
    const d = result.driver!;
    expect(d.sent).toBeGreaterThanOrEqual(50_000);
    for (const kind of ['async', 'threads', 'grpc'] as const) {
      const t = d.tallies[kind];
      expect(d.byKind[kind]).toBeGreaterThan(0);
      expect(t.unexpected).toBe(0);
      expect(t.countMismatches).toBe(0);
      expect(t.answered + t.timedOut + t.peerDown).toBe(t.asks);
      // every designed timeout of a round that the restarts did not touch timed out
      expect(t.timedOut).toBeGreaterThanOrEqual((t.rounds - t.lenientRounds) * 40);
      if (kind !== 'grpc') expect(t.peerDown).toBe(0);
    }
  });

  it('restarts the peer three times, and reaches it again after each', () => {
    expect(result.restarts.map((r) => r.signal)).toEqual(['SIGKILL', 'SIGTERM', 'SIGKILL']);
    for (const r of result.restarts) expect(r.recoveredMs).toBeGreaterThan(0);
    const procs = new Set(result.samples.map((s) => s.proc));
    expect(procs.has('driver')).toBe(true);
    expect(procs.has('soak')).toBe(true);
    // the peers are sampled too, but a peer of this short run may live less than the 1 s
    // between two samples: that every peer came back is what recoveredMs says above
  });

  it('leaves no process behind', () => {
    expect(result.pids.length).toBe(1 + 1 + 3); // the driver, the first peer and one per restart
    const alive = result.pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

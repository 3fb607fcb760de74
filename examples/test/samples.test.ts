/**
 * Runs every local sample (examples/*.ts) as a child process, the way a user runs it
 * (`node -r ts-node/register/transpile-only sampleN.ts` in examples/, importing the built
 * 'tsactor' from packages/tsactor/dist), and compares what it prints with PyActor's manual.
 *
 * Deterministic outputs are compared line for line. Timing-dependent ones (sample8's
 * first two lines, sample10/10b, sample11, parall) are checked for the lines that must
 * appear, their counts and the order constraints that must hold. Every sample must exit
 * with code 0 and print nothing on stderr.
 *
 * The samples run concurrently, longest first: most of their time is spent sleeping, as
 * PyActor's samples do. Starting is what costs CPU (ts-node, and under 'threads' the
 * workers), so only a few start at a time: a run counts as starting until it prints its
 * first line (its actors are up by then) or exits.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
// Runtimes register themselves when 'tsactor' is imported; core's registry then says
// which contexts exist (see CONTEXTS below).
import 'tsactor';
import { hasRuntime } from '@tsactor/core/internal';

const EXAMPLES = path.resolve(__dirname, '..');
const ROOT = path.resolve(EXAMPLES, '..');

/** How many samples run at once. */
const MAX_RUNNING = 16;
/** How many samples may be starting at once. */
const MAX_STARTING = os.availableParallelism();
/** A run stops counting as starting after this long, even if it printed nothing yet. */
const STARTING_MS = 5_000;
/** A sample still running after this long is killed (and its test fails). */
const CHILD_DEADLINE_MS = 45_000;

/**
 * The contexts every sample runs under, through the TSACTOR_CONTEXT environment variable
 * (which overrides the sample's own setContext()). 'async' always; 'threads' as soon as
 * importing 'tsactor' registers a runtime of that name.
 */
const CONTEXTS: string[] = ['async', ...(hasRuntime('threads') ? ['threads'] : [])];

interface Sample {
  /** the file in examples/, without '.ts' */
  readonly name: string;
  /** the output, line for line, where it is deterministic */
  readonly exact?: readonly string[];
  /** checks of an output that depends on timing */
  readonly check?: (lines: string[]) => void;
  /** for samples that serveForever(): SIGINT is sent once all these lines are printed */
  readonly interruptAfter?: readonly string[];
}

const FILES = "['a1.txt', 'a2.txt', 'a3.txt', 'a4.zip']";

/** sample6 serves forever: it gets SIGINT once it has printed all this, and exits cleanly. */
const SAMPLE6 = [
  'hello from: bot1 at local://local:6666/bot1',
  'hi from: bot1 at local://local:6666/bot1',
  'hey from: bot1 at local://local:6666/bot1',
  "what's up? from: bot1 at local://local:6666/bot1",
  'Press Ctrl+C to kill the execution',
];

/** sample10 and sample10b: ten listings, one download among them, no timeout. */
function checkParallelDownload(lines: string[]): void {
  expect(lines).toHaveLength(12);
  expect(lines.filter((l) => l === FILES)).toHaveLength(10);
  expect(lines.filter((l) => l === 'downloading a1.txt')).toHaveLength(1);
  // the download takes 5 s; the listings are all answered meanwhile (Web is @Parallel)
  expect(lines[11]).toBe('download finished');
}

/**
 * The samples, longest first (they start in this order). Expected outputs are the
 * manual's where it prints them; sample6 prints the bot's URL too, as its code does (the
 * manual's printed output leaves it out); sample5, sample10b, parall and initparams are
 * not printed in the manual: their expected output is what PyActor's code prints.
 */
const SAMPLES: readonly Sample[] = [
  {
    // parall: `working i` before each 2-second job; ten counts, one a second, while the
    // @Parallel work goes on (without @Parallel the first count would wait for all 5 jobs).
    name: 'parall',
    check(lines) {
      const working = lines.filter((l) => l.startsWith('working '));
      expect(working).toEqual(['working 0', 'working 1', 'working 2', 'working 3', 'working 4']);
      const counts = lines.filter((l) => !l.startsWith('working ')).map(Number);
      expect(counts).toHaveLength(10);
      expect(counts[0]).toBe(0);
      counts.forEach((c, i) => {
        expect(Number.isInteger(c) && c >= 0 && c <= 5).toBe(true);
        if (i > 0) expect(c).toBeGreaterThanOrEqual(counts[i - 1]!);
      });
      expect(new Set(counts).size).toBeGreaterThanOrEqual(3);
      // a count c means job c-1 has finished, so `working c-1` was printed before it
      lines.forEach((l, i) => {
        if (l.startsWith('working ') || l === '0') return;
        expect(lines.slice(0, i)).toContain(`working ${Number(l) - 1}`);
      });
    },
  },
  { name: 'sample10', check: checkParallelDownload },
  { name: 'sample10b', check: checkParallelDownload },
  {
    // sample11: each registry greets at once and every second, and stops after 5 s: five
    // greetings each (six when a tick meets the stop), then one `stopping interval` each,
    // and no greeting after both stopped (the sample waits 3 s more).
    name: 'sample11',
    check(lines) {
      const stops = lines.flatMap((l, i) => (l === 'stopping interval' ? [i] : []));
      expect(stops).toHaveLength(2);
      for (const id of ['0', '1']) {
        const hellos = lines.flatMap((l, i) => (l === `${id} Hello you too` ? [i] : []));
        expect(hellos.length).toBeGreaterThanOrEqual(5);
        expect(hellos.length).toBeLessThanOrEqual(6);
        expect(hellos.filter((i) => i < stops[0]!).length).toBeGreaterThanOrEqual(4);
        expect(hellos[hellos.length - 1]!).toBeLessThan(stops[1]!);
      }
      expect(lines).toHaveLength(stops.length + lines.filter((l) => / Hello you too$/.test(l)).length);
    },
  },
  {
    name: 'sample7',
    exact: [
      'hello from: bot1',
      'hi from: bot1',
      'hey from: bot1',
      "what's up? from: bot1",
      'hello there! from: bot2',
      'hello there!! from: bot1',
      'hello there!! from: bot2',
    ],
  },
  {
    name: 'sample5',
    exact: ['HI! from: bot1', 'hello there! from: bot2', 'hello there!! from: bot1', 'hello there!! from: bot2'],
  },
  { name: 'sample9', exact: ['pinging...', 'callback something', 'callback something'] },
  {
    name: 'supervision',
    exact: [
      'supervisor: started w1',
      'job 1 -> 2 (instance 1)',
      'job 2 -> 4 (instance 1)',
      'job 3 failed: w1 cannot do job 3',
      'job 4 -> 8 (instance 2, after "w1 cannot do job 3")',
      'job 13 failed: w1 cannot do job 13',
      'job 23 failed: w1 cannot do job 23',
      'job 33 failed: w1 cannot do job 33',
      'supervisor: w1 ended (failed); started w2',
      'job 5 -> 10 (instance 1)',
      'supervisor: w2 ended (stopped); not replaced',
    ],
  },
  { name: 'sample3', exact: ['hello there !!', 'bye', 'timeout caught'] },
  { name: 'sample1b', exact: ['hello there !!', 'hello there !!'] },
  { name: 'sample6', exact: SAMPLE6, interruptAfter: SAMPLE6 },
  {
    // sample8: the tell's line and the Future's line come from two independent flows
    // (PyActor prints them in either order too); the rest follows in order.
    name: 'sample8',
    check(lines) {
      expect(lines).toHaveLength(4);
      const first = lines.slice(0, 2);
      expect(first).toContain('hello there !!');
      expect(first.find((l) => l !== 'hello there !!')).toMatch(
        /^Future: Future\(saySomething\(\) of local:\/\/local:6666\/echo1, pending\)$/,
      );
      expect(lines.slice(2)).toEqual(['Exception: null', 'Result: something']);
    },
  },
  { name: 'sample1', exact: ['hello there !!'] },
  { name: 'sample2', exact: ['hello there !!', 'bye', 'something'] },
  { name: 'sample4', exact: ['something', 'something'] },
  { name: 'initparams', exact: ["['hi', 'you']"] },
];

interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
}

/** The children still running (killed by afterAll, whatever happened). */
const live = new Set<ChildProcess>();

/** A counting semaphore: `acquire` resolves with a release function (safe to call twice). */
function semaphore(size: number): () => Promise<() => void> {
  let taken = 0;
  const queue: Array<() => void> = [];
  return async () => {
    if (taken >= size) await new Promise<void>((resolve) => queue.push(resolve));
    else taken++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      if (next !== undefined) next();
      else taken--;
    };
  };
}

const runningSlot = semaphore(MAX_RUNNING);
const startingSlot = semaphore(MAX_STARTING);

async function run(sample: Sample, context: string): Promise<Result> {
  const running = await runningSlot();
  try {
    const starting = await startingSlot();
    const timer = setTimeout(starting, STARTING_MS);
    try {
      return await runChild(sample, context, () => {
        clearTimeout(timer);
        starting();
      });
    } finally {
      clearTimeout(timer);
      starting();
    }
  } finally {
    running();
  }
}

/** Runs a sample; `started` is called when it prints its first output. */
function runChild(sample: Sample, context: string, started: () => void): Promise<Result> {
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', `${sample.name}.ts`], {
      cwd: EXAMPLES,
      env: { ...process.env, TSACTOR_CONTEXT: context },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let interrupted = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_DEADLINE_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      started();
      const wanted = sample.interruptAfter;
      if (wanted !== undefined && !interrupted) {
        const printed = new Set(splitLines(stdout));
        if (wanted.every((l) => printed.has(l))) {
          interrupted = true;
          child.kill('SIGINT');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(deadline);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut, interrupted });
    });
  });
}

function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

// a jest worker that dies must not leave samples behind
process.once('exit', killAll);

/** Each sample's run under each context, started by the first beforeAll. */
const results = new Map<string, Promise<Result>>();

beforeAll(() => {
  // the samples import the built packages (packages/*/dist): build them
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`\`tsc -b\` failed, so the samples cannot run:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`);
  }
  // then start every run, longest samples first, all contexts together
  for (const sample of SAMPLES) {
    for (const context of CONTEXTS) {
      const result = run(sample, context);
      result.catch(() => undefined); // awaited by the sample's test
      results.set(`${context}/${sample.name}`, result);
    }
  }
});

afterAll(killAll);

/** Per test: the runs are under way already, but a loaded machine may slow them down. */
const TEST_TIMEOUT_MS = 120_000;

describe.each(CONTEXTS)('samples under TSACTOR_CONTEXT=%s', (context) => {
  test.each(SAMPLES.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, sample) => {
      const r = await results.get(`${context}/${sample.name}`)!;
      const lines = splitLines(r.stdout);
      // one assertion for the exit, so a failure shows everything the sample printed
      expect({ code: r.code, signal: r.signal, timedOut: r.timedOut, stderr: r.stderr, stdout: lines }).toEqual({
        code: 0,
        signal: null,
        timedOut: false,
        stderr: '',
        stdout: sample.exact ?? lines,
      });
      if (sample.interruptAfter !== undefined) expect(r.interrupted).toBe(true);
      sample.check?.(lines);
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * One round of the soak mix against one runtime or transport: tells to a counter followed
 * by an ask for the count, pipelined echo asks, and asks that are meant to time out, all
 * at once. Every ask's outcome is tallied; in a strict round each must be exactly what was
 * designed, in a lenient one (the peer is being restarted) losing the peer is allowed too.
 */
import type { Proxy } from 'tsactor';
import type { SoakCounter, SoakEcho, SoakSlow } from './actors';

/** The actors a round talks to. */
export interface RoundActors {
  readonly counter: Proxy<SoakCounter>;
  readonly echo: Proxy<SoakEcho>;
  /** `slow` with the short timeout that its asks are designed to exceed */
  readonly slow: Proxy<SoakSlow>;
}

/** How one round is made up. */
export interface RoundShape {
  readonly tells: number;
  readonly asks: number;
  readonly timeouts: number;
  /** echo asks in flight at once */
  readonly window: number;
  /** how long a slow ask takes on the callee (ms); its caller's timeout is shorter */
  readonly slowMs: number;
}

/** Messages in one round: the tells, the count ask, the echo asks and the timed-out asks. */
export function roundMessages(s: RoundShape): number {
  return s.tells + 1 + s.asks + s.timeouts;
}

/** What happened to the messages of one runtime or transport, over the whole run. */
export interface Tally {
  rounds: number;
  lenientRounds: number;
  tells: number;
  asks: number;
  /** asks answered with the right value */
  answered: number;
  /** asks rejected with TimeoutError, as designed (slow asks) */
  timedOut: number;
  /** asks rejected because the peer was down (lenient rounds only) */
  peerDown: number;
  /** counts that did not match the tells of a strict round */
  countMismatches: number;
  /** outcomes that were not designed: wrong answers, unexpected errors */
  unexpected: number;
  /** the first few unexpected outcomes, described */
  unexpectedSamples: string[];
}

export function emptyTally(): Tally {
  return {
    rounds: 0,
    lenientRounds: 0,
    tells: 0,
    asks: 0,
    answered: 0,
    timedOut: 0,
    peerDown: 0,
    countMismatches: 0,
    unexpected: 0,
    unexpectedSamples: [],
  };
}

/** Errors that mean the peer is gone or not yet back (allowed in lenient rounds only). */
const PEER_LOSS = new Set(['HostDownError', 'NotFoundError', 'TimeoutError', 'HostError']);

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

function unexpected(t: Tally, what: string): void {
  t.unexpected++;
  if (t.unexpectedSamples.length < 10) t.unexpectedSamples.push(what);
}

function settleError(t: Tally, e: unknown, lenient: boolean, what: string): void {
  const name = errorName(e);
  if (lenient && PEER_LOSS.has(name)) t.peerDown++;
  else unexpected(t, `${what}: ${name}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Keeps `window` calls in flight until `total` have settled. */
function windowed(total: number, window: number, call: (i: number) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let started = 0;
    let settled = 0;
    const next = (): void => {
      const i = started++;
      void call(i).then(() => {
        settled++;
        if (started < total) next();
        else if (settled === total) resolve();
      });
    };
    if (total === 0) resolve();
    for (let i = 0; i < Math.min(window, total); i++) next();
  });
}

/**
 * Runs one round; it is lenient when `lenient` is true at its start or at its end (the peer
 * may go down or come back meanwhile). Never rejects: every outcome goes into the tally.
 */
export async function runRound(a: RoundActors, s: RoundShape, t: Tally, isLenient: () => boolean, base: number): Promise<void> {
  const atStart = isLenient();
  const lenient = (): boolean => atStart || isLenient();
  const outcomes: Array<() => void> = [];
  const counting = (async (): Promise<void> => {
    for (let i = 0; i < s.tells; i++) a.counter.inc();
    t.tells += s.tells;
    t.asks++;
    try {
      const got = await a.counter.take();
      outcomes.push(() => {
        if (got === s.tells) t.answered++;
        else if (lenient()) t.peerDown++;
        else {
          t.countMismatches++;
          unexpected(t, `count: expected ${s.tells}, got ${got}`);
        }
      });
    } catch (e) {
      outcomes.push(() => settleError(t, e, lenient(), 'count'));
    }
  })();
  const echoes = windowed(s.asks, s.window, async (i) => {
    const x = base + i;
    t.asks++;
    try {
      const v = await a.echo.echo(x);
      outcomes.push(() => {
        if (v === x) t.answered++;
        else unexpected(t, `echo(${x}) answered ${String(v)}`);
      });
    } catch (e) {
      outcomes.push(() => settleError(t, e, lenient(), 'echo'));
    }
  });
  const slow = windowed(s.timeouts, s.timeouts, async () => {
    t.asks++;
    try {
      const v = await a.slow.wait(s.slowMs);
      outcomes.push(() => unexpected(t, `slow ask answered ${String(v)} instead of timing out`));
    } catch (e) {
      outcomes.push(() => {
        if (errorName(e) === 'TimeoutError') t.timedOut++;
        else settleError(t, e, lenient(), 'slow');
      });
    }
  });
  await Promise.all([counting, echoes, slow]);
  t.rounds++;
  if (lenient()) t.lenientRounds++;
  for (const o of outcomes) o();
}

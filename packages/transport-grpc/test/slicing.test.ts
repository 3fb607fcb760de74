/**
 * A frame with many asks is delivered in slices (ASKS_PER_TURN, 32, asks per event-loop turn):
 * the first answers leave before the rest of the frame is handled, the order of tells and
 * asks is kept across slices, and what was received is still delivered when the peer ends
 * the stream in the middle of a frame.
 */
import { Actor, Ask, Tell, createHost, shutdown, HostDownError } from 'tsactor';
import { freePort, until } from './helpers';

/** messages handled by every Log actor of this process (both hosts live in this process) */
let handled = 0;

@Actor
class Log {
  entries: string[] = [];
  @Tell note(what: string): void {
    handled++;
    this.entries.push(what);
  }
  @Ask mark(i: number): number {
    handled++;
    this.entries.push(`ask ${i}`);
    return this.entries.length;
  }
  @Ask all(): string[] {
    return this.entries;
  }
}

beforeEach(() => {
  handled = 0;
});
afterEach(() => shutdown());

test('tells and asks sent in one run keep their order across slices (and inbox compaction); every ask gets its own answer', async () => {
  const a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const b = await createHost(bUrl);
  await b.spawn('log', Log);
  const log = await a.lookupUrl<Log>(`${bUrl}log`);
  await log.all(); // connected
  const n = 5000;
  const expected: string[] = [];
  const answers: Array<PromiseLike<number>> = [];
  for (let i = 0; i < n; i++) {
    log.note(`tell ${i}`);
    expected.push(`tell ${i}`);
    answers.push(log.mark(i));
    expected.push(`ask ${i}`);
  }
  const got = await Promise.all(answers);
  // ask i is the (2i+2)th message the actor handled
  expect(got).toEqual(Array.from({ length: n }, (_, i) => 2 * i + 2));
  expect(await log.all()).toEqual(expected);
});

test('the first answers of a large batch of asks arrive before the whole batch is handled', async () => {
  const a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const b = await createHost(bUrl);
  await b.spawn('log', Log);
  const log = await a.lookupUrl<Log>(`${bUrl}log`);
  await log.all();
  handled = 0;
  const n = 2000;
  let handledAtFirstAnswer = -1;
  const answers: Array<PromiseLike<number>> = [];
  for (let i = 0; i < n; i++) answers.push(log.mark(i));
  answers[0]!.then(() => {
    handledAtFirstAnswer = handled;
  });
  await Promise.all(answers);
  expect(handledAtFirstAnswer).toBeGreaterThan(0);
  expect(handledAtFirstAnswer).toBeLessThan(n);
});

test('a peer that shuts down right after sending a large batch still has every tell delivered', async () => {
  const aUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const a = await createHost(aUrl);
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const b = await createHost(bUrl);
  const onB = await b.spawn('log', Log);
  const log = await a.lookupUrl<Log>(`${bUrl}log`);
  await log.all();
  handled = 0;
  const n = 1000;
  const asks: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) {
    asks.push(Promise.resolve(log.mark(i)).catch((e: unknown) => e));
    log.note(`tell ${i}`);
  }
  await shutdown(aUrl);
  // asks whose answers could not come back before the stream closed fail as a lost host
  for (const r of await Promise.all(asks)) if (typeof r !== 'number') expect(r).toBeInstanceOf(HostDownError);
  await until(() => handled === 2 * n, 5, `all ${2 * n} messages handled (${handled} so far)`);
  const entries = await onB.all();
  expect(entries.filter((e) => e.startsWith('tell ')).length).toBe(n);
  expect(entries[entries.length - 1]).toBe(`tell ${n - 1}`);
});

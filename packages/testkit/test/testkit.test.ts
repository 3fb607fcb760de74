import {
  Actor,
  ActorBase,
  Ask,
  Tell,
  TimeoutError,
  later,
  sleep,
  interval,
  watch,
  setErrorHandler,
  type ErrorHandler,
  type Proxy,
  type StopReason,
} from '@tsactor/core';
import { createTestKit, ProbeExpectationError, type TestKit } from '@tsactor/testkit';

/** Reports each message it handles and each restart to a probe. */
@Actor({ supervision: { onError: 'restart', maxRestarts: 5, within: 60, backoff: [1, 4] } })
class Flaky extends ActorBase {
  constructor(private readonly out: Proxy<Listener>) {
    super();
  }
  onRestart(error: Error): void {
    this.out.heard(`restart after ${error.message}`);
  }
  @Tell work(i: number): void {
    this.out.heard(`work ${i}`);
  }
  @Tell fail(m: string): void {
    throw new Error(m);
  }
}

@Actor
class Listener {
  @Tell heard(_what: string): void {}
  @Ask question(_q: string): string {
    return '';
  }
}

describe('@tsactor/testkit', () => {
  let kit: TestKit;
  let reports: unknown[];
  let restore: ErrorHandler;

  beforeEach(async () => {
    kit = await createTestKit({ clock: 'virtual' });
    reports = [];
    restore = setErrorHandler((e) => reports.push(e.message));
  });
  afterEach(async () => {
    setErrorHandler(restore);
    await kit.shutdown();
  });

  it('supervision backoff waits min·2^(n-1) seconds of the virtual clock, up to max, keeping the mailbox', async () => {
    const h = await kit.createHost();
    const probe = await kit.probe<Listener>(Listener);
    const f = await h.spawn('flaky', Flaky, probe.ref);
    f.fail('one');
    f.work(1);
    await probe.expectNoMessage(0.99);
    await kit.advance(0.01);
    await probe.expectTell('heard', ['restart after one']);
    await probe.expectTell('heard', ['work 1']);
    f.fail('two');
    f.work(2);
    await probe.expectNoMessage(1.99);
    await kit.advance(0.01);
    await probe.expectTell('heard', ['restart after two']);
    await probe.expectTell('heard', ['work 2']);
    f.fail('three');
    await probe.expectNoMessage(3.99);
    await kit.advance(0.01);
    await probe.expectTell('heard', ['restart after three']);
    f.fail('four');
    // capped at max (4 s), not 8
    await probe.expectNoMessage(3.99);
    await kit.advance(0.01);
    await probe.expectTell('heard', ['restart after four']);
    expect(reports).toEqual(['one', 'two', 'three', 'four']);
  });

  it('restarts beyond maxRestarts within the window stop the actor; kit.watchOf resolves with failed', async () => {
    @Actor({ supervision: { onError: 'restart', maxRestarts: 1, within: 10 } })
    class Twice {
      @Tell fail(): void {
        throw new Error('x');
      }
    }
    const h = await kit.createHost();
    const t = await h.spawn('twice', Twice);
    const ended = kit.watchOf(t);
    t.fail();
    await kit.settle();
    // the first restart leaves the window after 10 s: another failure is then allowed
    await kit.advance(10.5);
    t.fail();
    await kit.settle();
    expect(await h.hasActor('twice')).toBe(true);
    t.fail();
    expect(await ended).toBe('failed');
    expect(await h.hasActor('twice')).toBe(false);
  });

  it('later, interval, sleep and ask timeouts run on the virtual clock', async () => {
    await kit.createHost();
    const probe = await kit.probe<Listener>(Listener);
    later(5, probe.ref, 'heard', 'later');
    const iv = interval((await kit.createHost()) as never, 2, probe.ref, 'heard', 'tick');
    await probe.expectTell('heard', ['tick']);
    await kit.advance(4.5);
    await probe.expectTell('heard', ['tick']);
    await probe.expectTell('heard', ['tick']);
    await kit.advance(0.5);
    await probe.expectTell('heard', ['later']);
    iv.cancel();
    let slept = false;
    void sleep(3).then(() => (slept = true));
    await kit.advance(2.9);
    expect(slept).toBe(false);
    await kit.advance(0.1);
    expect(slept).toBe(true);
    // the deadline of an awaited future starts when it is awaited
    const answer = expect(probe.ref.withTimeout(1).question('?')).rejects.toBeInstanceOf(TimeoutError);
    const ask = await probe.expectAsk('question', ['?']);
    await kit.advance(1.1);
    await answer;
    ask.reply('late');
  });

  it('a probe answers asks as the test says and reports what did not match', async () => {
    await kit.createHost();
    const probe = await kit.probe<Listener>({ tells: ['heard'], asks: ['question'] });
    const answer = probe.ref.question('name?');
    const ask = await probe.expectAsk('question', ['name?']);
    ask.reply('probe');
    expect(await answer).toBe('probe');
    probe.ref.heard('x');
    await expect(probe.expectTell('heard', ['y'])).rejects.toThrow(ProbeExpectationError);
    probe.ref.heard('z');
    await expect(probe.expectNoMessage(0.1)).rejects.toThrow(/expected no message/);
  });

  it('watch(proxy, fn) and kit.watchOf see stopActor', async () => {
    const h = await kit.createHost();
    const l = await h.spawn('l', Listener);
    const seen: StopReason[] = [];
    watch(l, (_r, why) => seen.push(why));
    const ended = kit.watchOf(l);
    await h.stopActor('l');
    expect(await ended).toBe('stopped');
    expect(seen).toEqual(['stopped']);
  });
});

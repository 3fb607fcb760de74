/**
 * The bare ceiling of one-thread messaging: a minimal actor loop with no framework (an
 * array mailbox per actor, a run queue of actors with mail, drained in a microtask), doing
 * counting and pingpong. tsactor's 'async' figures are read as a fraction of it.
 */
import { expectEqual, now, type TargetImpl, type Timed } from './types';

type Handler = (msg: unknown) => void;

/**
 * An actor of the loop: a mailbox (an array read from `head` to `tail`, its slots reused
 * once it is empty, so a steady flow allocates nothing) and its handler.
 */
class LoopActor {
  readonly mailbox: unknown[] = [];
  head = 0;
  tail = 0;
  queued = false;
  constructor(readonly handle: Handler) {}
}

const SETTLED = Promise.resolve();

/** The run queue: actors with mail (an array reused the same way), drained in one microtask. */
class Loop {
  private readonly queue: LoopActor[] = [];
  private head = 0;
  private tail = 0;
  private scheduled = false;

  send(a: LoopActor, msg: unknown): void {
    a.mailbox[a.tail++] = msg;
    if (a.queued) return;
    a.queued = true;
    this.queue[this.tail++] = a;
    if (!this.scheduled) {
      this.scheduled = true;
      void SETTLED.then(this.drain);
    }
  }

  private readonly drain = (): void => {
    const q = this.queue;
    while (this.head < this.tail) {
      const a = q[this.head++]!;
      if (this.head === this.tail) this.head = this.tail = 0;
      a.queued = false;
      const box = a.mailbox;
      // messages that arrive while this actor runs are handled in this turn too
      while (a.head < a.tail) a.handle(box[a.head++]);
      a.head = a.tail = 0;
    }
    this.scheduled = false;
  };
}

/** An ask of the loop: a message that carries its reply callback. */
interface Ask {
  readonly ask: true;
  readonly reply: (v: number) => void;
}

function isAsk(m: unknown): m is Ask {
  return typeof m === 'object' && m !== null && (m as { ask?: unknown }).ask === true;
}

export class BareLoopTarget implements TargetImpl {
  private readonly loop = new Loop();

  async setup(): Promise<void> {
    // nothing to start
  }

  async teardown(): Promise<void> {
    // nothing to stop
  }

  private ask(a: LoopActor): Promise<number> {
    return new Promise<number>((reply) => {
      this.loop.send(a, { ask: true, reply } satisfies Ask);
    });
  }

  private count = 0;
  /**
   * One counter for every repetition, as the other targets keep theirs: its mailbox array has
   * grown to a repetition's size once, and each repetition measures the steady state (a new
   * counter per repetition put V8's growth of that array, 1.5 times at a time, in every
   * repetition, and its figures moved by up to a factor of three between repetitions).
   */
  private readonly counter = new LoopActor((m) => {
    if (isAsk(m)) {
      m.reply(this.count);
      this.count = 0;
    } else this.count++;
  });

  async counting(n: number): Promise<Timed> {
    const counter = this.counter;
    const t0 = now();
    for (let i = 0; i < n; i++) this.loop.send(counter, 1);
    const got = await this.ask(counter);
    const ms = now() - t0;
    expectEqual('count', got, n);
    return { ms };
  }

  async pingpong(n: number): Promise<Timed> {
    let pings = 0;
    let pongs = 0;
    let done: (() => void) | null = null;
    const pong: LoopActor = new LoopActor((m) => {
      pings++;
      this.loop.send(ping, m);
    });
    const ping: LoopActor = new LoopActor((m) => {
      pongs++;
      const left = (m as number) - 1;
      if (left > 0) this.loop.send(pong, left);
      else done!();
    });
    const finished = new Promise<void>((resolve) => (done = resolve));
    const t0 = now();
    this.loop.send(pong, n);
    await finished;
    const ms = now() - t0;
    expectEqual('pings received by pong', pings, n);
    expectEqual('pongs received by ping', pongs, n);
    return { ms };
  }
}

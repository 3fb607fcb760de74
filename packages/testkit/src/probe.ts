/**
 * Probes: actors that record what they receive, so that a test can check what the actors
 * under test send (`expectTell`, `expectAsk`, `expectNoMessage`). A probe is spawned with
 * the description of a class (or a list of method names), so its proxy is a `Proxy<T>` that
 * can be passed wherever the actors under test expect one.
 */
import { isDeepStrictEqual } from 'node:util';
import { addMethodFlags, getActorDefinition, ASK, PARALLEL, REF, TELL, type Proxy } from '@tsactor/core/internal';

/** The methods a probe answers: a class (its `@Tell` and `@Ask` methods), or names. */
export type ProbeShape = Function | { tells?: readonly string[]; asks?: readonly string[] };

/** A message a probe received. */
export interface ProbeMessage {
  readonly kind: 'tell' | 'ask';
  readonly method: string;
  readonly args: unknown[];
}

/** An ask a probe received: the test answers it (or not: the asker then times out). */
export interface ProbeAsk extends ProbeMessage {
  readonly kind: 'ask';
  /** answers the ask with `value` */
  reply(value: unknown): void;
  /** answers the ask with an error */
  fail(error: Error): void;
}

/** Thrown by the expectations of a probe when what arrived is not what was expected. */
export class ProbeExpectationError extends Error {
  override readonly name = 'ProbeExpectationError';
}

interface Waiter {
  resolve(m: ProbeMessage | ProbeAsk): void;
}

/** Where a probe keeps what it received (shared by its generated actor class and its API). */
export class ProbeInbox {
  private readonly queue: Array<ProbeMessage | ProbeAsk> = [];
  private waiter: Waiter | null = null;

  /** everything received so far, in order (expectations take from the front) */
  get pending(): ReadonlyArray<ProbeMessage> {
    return this.queue;
  }

  push(m: ProbeMessage | ProbeAsk): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve(m);
    } else {
      this.queue.push(m);
    }
  }

  /** The next message, waiting at most `ms` of real time (null: none came). */
  next(ms: number): Promise<ProbeMessage | ProbeAsk | null> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.waiter !== null)
      throw new ProbeExpectationError('a probe expectation is already waiting; await each expectation before the next');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, ms);
      this.waiter = {
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
      };
    });
  }
}

/** Builds an actor class whose methods record into the inbox given to its constructor. */
export function probeClass(shape: ProbeShape | undefined): Function {
  const methods: Record<string, number> = {};
  if (typeof shape === 'function') {
    for (const [name, flags] of Object.entries(getActorDefinition(shape).methods)) methods[name] = flags & (TELL | ASK | REF);
  } else if (shape !== undefined) {
    for (const name of shape.tells ?? []) methods[name] = TELL;
    for (const name of shape.asks ?? []) methods[name] = ASK;
  }
  const name = `Probe${typeof shape === 'function' ? shape.name : ''}`;
  const klass = {
    [name]: class {
      constructor(readonly inbox: ProbeInbox) {
        if (!(inbox instanceof ProbeInbox)) throw new ProbeExpectationError('probes are made by kit.probe()');
      }
    },
  }[name]!;
  for (const [method, flags] of Object.entries(methods)) {
    const record =
      flags & ASK
        ? function (this: { inbox: ProbeInbox }, ...args: unknown[]): Promise<unknown> {
            return new Promise((resolve, reject) => {
              this.inbox.push({ kind: 'ask', method, args, reply: resolve, fail: reject });
            });
          }
        : function (this: { inbox: ProbeInbox }, ...args: unknown[]): void {
            this.inbox.push({ kind: 'tell', method, args });
          };
    Object.defineProperty(klass.prototype, method, { value: record, writable: true, configurable: true });
    // asks stay unanswered until the test answers them: the probe keeps receiving meanwhile
    addMethodFlags(record, flags & ASK ? flags | PARALLEL : flags);
  }
  return klass;
}

/** A value as shown in an expectation's message. */
function show(v: unknown): string {
  const json = JSON.stringify(v) as string | undefined; // undefined for undefined, functions and symbols
  return json ?? String(v);
}

function describeMessage(m: ProbeMessage | null): string {
  if (m === null) return 'nothing';
  return `${m.kind} ${m.method}(${m.args.map(show).join(', ')})`;
}

/** A probe: its proxy (`ref`) and the expectations on what it received. */
export class Probe<T> {
  /** @internal */
  constructor(
    /** the probe's proxy: pass it to the actors under test */
    readonly ref: Proxy<T>,
    private readonly inbox: ProbeInbox,
    private readonly noMessageWait: (seconds: number) => Promise<void>,
  ) {}

  /** What was received and not yet taken by an expectation. */
  get received(): ReadonlyArray<ProbeMessage> {
    return this.inbox.pending;
  }

  private async expect(
    kind: 'tell' | 'ask',
    method: string,
    args: unknown[] | undefined,
    within: number,
  ): Promise<ProbeMessage | ProbeAsk> {
    const m = await this.inbox.next(within * 1000);
    const want = `${kind} ${method}(${args === undefined ? '…' : args.map(show).join(', ')})`;
    if (m === null || m.kind !== kind || m.method !== method || (args !== undefined && !isDeepStrictEqual(m.args, args))) {
      throw new ProbeExpectationError(`expected ${want} within ${within} s, got ${describeMessage(m)}`);
    }
    return m;
  }

  /**
   * Waits (at most `within` seconds of real time, default 3) for the next message and checks
   * that it is a tell of `method` (with `args`, compared deeply, when given); returns its arguments.
   */
  async expectTell(method: string, args?: unknown[], within = 3): Promise<unknown[]> {
    return (await this.expect('tell', method, args, within)).args;
  }

  /** As {@link expectTell}, for an ask: returns it, to be answered with `reply` or `fail`. */
  async expectAsk(method: string, args?: unknown[], within = 3): Promise<ProbeAsk> {
    return (await this.expect('ask', method, args, within)) as ProbeAsk;
  }

  /**
   * Checks that nothing arrives within `within` seconds (default 0.1): on the virtual clock,
   * the kit's time moves on by that much; on the real clock, the test waits that long.
   */
  async expectNoMessage(within = 0.1): Promise<void> {
    if (this.inbox.pending.length === 0) await this.noMessageWait(within);
    const m = this.inbox.pending[0];
    if (m !== undefined) throw new ProbeExpectationError(`expected no message within ${within} s, got ${describeMessage(m)}`);
  }
}

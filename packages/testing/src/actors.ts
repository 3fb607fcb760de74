/**
 * The actor classes of the conformance suite. This module imports only from 'tsactor':
 * the threads runtime loads it inside its workers, and a remote host process imports it so
 * that spawning these classes by class resolves there too.
 */
import {
  Actor,
  ActorBase,
  ActorError,
  AlreadyExistsError,
  Ask,
  FutureError,
  HostDownError,
  HostError,
  IntervalError,
  NotFoundError,
  Parallel,
  Ref,
  Tell,
  TimeoutError,
  registerClass,
  type Future,
  type Proxy,
} from 'tsactor';

/** An error class registered with registerClass: it keeps its class across boundaries. */
export class CustomFailure extends Error {
  constructor(
    message: string,
    readonly detail: { readonly code: number; readonly tags: string[] },
  ) {
    super(message);
  }

  /** a prototype method: only there when the class survived the trip */
  summary(): string {
    return `${this.message} (${this.detail.code})`;
  }
}

/** A registered error class that sets its own name, as many applications do. */
export class NamedFailure extends Error {
  override name = 'NamedFailure';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A registered message class (not an error): arrives as an instance with its methods. */
export class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm1(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}

registerClass(CustomFailure, NamedFailure, Point);

/** The built-in error classes an ask must rebuild with their class. */
export const BUILTIN_ERRORS = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
} as const;
export type BuiltinErrorName = keyof typeof BUILTIN_ERRORS;

/** Every ActorError class, by name. */
export const ACTOR_ERRORS = {
  ActorError,
  AlreadyExistsError,
  NotFoundError,
  HostDownError,
  HostError,
  TimeoutError,
  FutureError,
  IntervalError,
} as const;
export type ActorErrorName = keyof typeof ACTOR_ERRORS;

/** Resolves waiters once a count reaches a level (event-based waiting, no polling). */
class Watchers {
  private list: Array<{ n: number; resolve: () => void }> = [];
  wait(n: number, current: number): Promise<void> {
    if (current >= n) return Promise.resolve();
    return new Promise((resolve) => this.list.push({ n, resolve }));
  }
  notify(current: number): void {
    const ready = this.list.filter((w) => w.n <= current);
    this.list = this.list.filter((w) => w.n > current);
    for (const w of ready) w.resolve();
  }
}

/** Records what it is told, in order. */
@Actor
export class Recorder extends ActorBase {
  private readonly items: unknown[] = [];
  private readonly watchers = new Watchers();
  private readonly label: string;

  constructor(label = 'recorder') {
    super();
    this.label = label;
  }

  @Tell add(item: unknown): void {
    this.items.push(item);
    this.watchers.notify(this.items.length);
  }

  /** a copy of what was received so far, in order */
  @Ask received(): unknown[] {
    return [...this.items];
  }

  /** resolves with what was received once at least `n` items arrived */
  @Ask @Parallel async waitFor(n: number): Promise<unknown[]> {
    await this.watchers.wait(n, this.items.length);
    return [...this.items];
  }

  @Ask echo(value: unknown): unknown {
    return value;
  }

  @Ask getLabel(): string {
    return this.label;
  }

  /** the fields every actor gets */
  @Ask whoAmI(): { id: string; url: string; hostUrl: string; proxyUrl: string } {
    return { id: this.id, url: this.url, hostUrl: this.host.getUrl(), proxyUrl: this.proxy.getUrl() };
  }

  /** asks its own host whether it exists (the `host` field is a working proxy) */
  @Ask async knownToHost(): Promise<boolean> {
    return this.host.hasActor(this.id);
  }

  /** a proxy to itself, as a result of a `@Ref` method */
  @Ask @Ref self(): Proxy<Recorder> {
    return this.proxy as Proxy<Recorder>;
  }

  /** Takes an instance of a registered class and describes what arrived. */
  @Ask inspectPoint(p: Point): { isPoint: boolean; norm1: number | null } {
    return { isPoint: p instanceof Point, norm1: p instanceof Point ? p.norm1() : null };
  }

  /** Returns an instance of a registered class. */
  @Ask makePoint(x: number, y: number): Point {
    return new Point(x, y);
  }

  /** not `@Ref`: a proxy argument is refused across a thread or host boundary */
  @Ask takeWithoutRef(other: unknown): string {
    return typeof other;
  }

  /** neither `@Tell` nor `@Ask`: calling it through a proxy throws */
  plainHelper(): string {
    return 'not callable through a proxy';
  }
}

/**
 * A gate: `wait` (parallel) answers once `open` is told, so a test can hold an ask open and
 * release it by a later message. `arrived(n)` answers once n waits have arrived.
 */
@Actor
export class Gate {
  private waiting: Array<(v: unknown) => void> = [];
  private isOpen = false;
  private value: unknown = undefined;
  private arrivals = 0;
  private readonly watchers = new Watchers();

  @Ask @Parallel async wait(): Promise<unknown> {
    this.arrivals++;
    this.watchers.notify(this.arrivals);
    if (this.isOpen) return this.value;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  @Tell open(value?: unknown): void {
    this.isOpen = true;
    this.value = value;
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve(value);
  }

  @Ask @Parallel async arrived(n: number): Promise<number> {
    await this.watchers.wait(n, this.arrivals);
    return this.arrivals;
  }
}

/** Logs the order in which it handles messages around awaits. */
@Actor
export class Sequencer {
  private readonly events: string[] = [];
  private release: ((v: string) => void) | null = null;

  /** not parallel: holds the mailbox until the gate opens */
  @Ask @Ref async hold(gate: Proxy<Gate>, tag: string): Promise<unknown> {
    this.events.push(`${tag}:start`);
    const v = await gate.wait();
    this.events.push(`${tag}:end`);
    return v;
  }

  /** parallel: lets other messages in while the gate is closed */
  @Ask @Ref @Parallel async holdParallel(gate: Proxy<Gate>, tag: string): Promise<unknown> {
    this.events.push(`${tag}:start`);
    const v = await gate.wait();
    this.events.push(`${tag}:end`);
    return v;
  }

  /** parallel: awaits a promise that only a later message (`release`) resolves */
  @Ask @Parallel async waitForRelease(): Promise<string> {
    this.events.push('wait:start');
    const v = await new Promise<string>((resolve) => (this.release = resolve));
    this.events.push('wait:end');
    return v;
  }

  @Tell doRelease(value: string): void {
    this.events.push('release');
    this.release?.(value);
  }

  @Tell note(tag: string): void {
    this.events.push(tag);
  }

  @Ask noteAsk(tag: string): string[] {
    this.events.push(tag);
    return [...this.events];
  }

  @Ask log(): string[] {
    return [...this.events];
  }
}

/** Throws in every way an actor can. */
@Actor
export class Faulty {
  private handled = 0;

  @Tell boom(message: string): void {
    this.handled++;
    throw new Error(message);
  }

  @Tell async boomLater(message: string): Promise<void> {
    this.handled++;
    await Promise.resolve();
    throw new RangeError(message);
  }

  /** how many failing tells it handled: proves the actor went on */
  @Ask alive(): number {
    return this.handled;
  }

  @Ask throwBuiltin(name: BuiltinErrorName, message: string, extra?: Record<string, unknown>): never {
    const e = new BUILTIN_ERRORS[name](message);
    if (extra !== undefined) Object.assign(e, extra);
    throw e;
  }

  @Ask async rejectBuiltin(name: BuiltinErrorName, message: string): Promise<never> {
    await Promise.resolve();
    throw new BUILTIN_ERRORS[name](message);
  }

  @Ask throwActorError(name: ActorErrorName, message: string): never {
    throw new ACTOR_ERRORS[name](message);
  }

  @Ask throwCustom(message: string, code: number, tags: string[]): never {
    throw new CustomFailure(message, { code, tags });
  }

  @Ask async rejectNamed(message: string, retryable: boolean): Promise<never> {
    await Promise.resolve();
    throw new NamedFailure(message, retryable);
  }

  @Ask throwWithCause(message: string, causeMessage: string): never {
    throw new Error(message, { cause: new TypeError(causeMessage) });
  }
}

/** Makes asks from inside an actor: callbacks, sends from an actor, refs. */
@Actor
export class Caller extends ActorBase {
  private readonly events: unknown[] = [];
  private readonly watchers = new Watchers();

  private push(e: unknown): void {
    this.events.push(e);
    this.watchers.notify(this.events.length);
  }

  /** adds a callback to a future that is already done: it still fires */
  @Ask @Ref async lateCallback(target: Proxy<Recorder>, value: unknown): Promise<boolean> {
    const f = target.echo(value);
    await f.result();
    const wasDone = f.done();
    f.addCallback('onDone');
    return wasDone;
  }

  /** two callbacks on a pending future fire in the order added */
  @Ask @Ref twoCallbacks(gate: Proxy<Gate>): boolean {
    const f = gate.wait();
    f.addCallback('first');
    f.addCallback('second');
    return f.running();
  }

  /** a callback on a future whose ask fails gets the error through exception() */
  @Ask @Ref async failingCallback(faulty: Proxy<Faulty>): Promise<void> {
    faulty.throwBuiltin('RangeError', 'for the callback').addCallback('onFailure');
  }

  /** addCallback naming a method this actor lacks: FutureError */
  @Ask @Ref badCallback(target: Proxy<Recorder>): { name: string; message: string } {
    try {
      target.echo(1).addCallback('noSuchMethod');
      return { name: 'none', message: '' };
    } catch (e) {
      return { name: (e as Error).name, message: (e as Error).message };
    }
  }

  async onDone(f: Future): Promise<void> {
    this.push({ callback: 'onDone', done: f.done(), running: f.running(), value: await f.result() });
  }

  first(f: Future): void {
    this.push({ callback: 'first', done: f.done() });
  }

  async second(f: Future): Promise<void> {
    this.push({ callback: 'second', value: await f.result() });
  }

  async onFailure(f: Future): Promise<void> {
    const e = await f.exception();
    this.push({ callback: 'onFailure', name: e?.name, message: e?.message, isRangeError: e instanceof RangeError });
  }

  /** resolves with the events once there are at least `n` */
  @Ask @Parallel async eventsAfter(n: number): Promise<unknown[]> {
    await this.watchers.wait(n, this.events.length);
    return [...this.events];
  }

  /** tells `n` numbers to the target, then asks what it received (order from an actor sender) */
  @Ask @Ref async sendMany(target: Proxy<Recorder>, n: number): Promise<unknown[]> {
    for (let i = 0; i < n; i++) target.add(i);
    return target.received();
  }

  /**
   * Uses proxies nested in an array, a plain object and a Map: tells each its key and
   * returns what each received, plus whether each arrived as a proxy with the URL given.
   */
  @Ask @Ref async useNested(bundle: {
    list: Array<Proxy<Recorder>>;
    obj: { inner: { rec: Proxy<Recorder> } };
    map: Map<string, Proxy<Recorder>>;
  }): Promise<Array<{ where: string; url: string; received: unknown[] }>> {
    const all: Array<[string, Proxy<Recorder>]> = [
      ...bundle.list.map((p, i) => [`list[${i}]`, p] as [string, Proxy<Recorder>]),
      ['obj.inner.rec', bundle.obj.inner.rec],
      ...[...bundle.map].map(([k, p]) => [`map.${k}`, p] as [string, Proxy<Recorder>]),
    ];
    for (const [where, p] of all) p.add(where);
    const out: Array<{ where: string; url: string; received: unknown[] }> = [];
    for (const [where, p] of all) out.push({ where, url: p.getUrl(), received: await p.received() });
    return out;
  }

  /** returns proxies nested in an array, a plain object and a Map */
  @Ask @Ref nestedBack(list: Array<Proxy<Recorder>>): {
    list: Array<Proxy<Recorder>>;
    obj: { first: Proxy<Recorder> };
    map: Map<string, Proxy<Recorder>>;
  } {
    return {
      list: [...list],
      obj: { first: list[0]! },
      map: new Map(list.map((p, i) => [`r${i}`, p] as [string, Proxy<Recorder>])),
    };
  }
}

/**
 * Lifecycle hooks and supervision: records its hooks and messages into a Recorder given at
 * construction; restarted on failure (at most twice a minute), each instance counting the
 * `work` it handled.
 */
@Actor({ supervision: { onError: 'restart', maxRestarts: 2, within: 60 } })
export class Restartable extends ActorBase {
  private handled = 0;

  constructor(
    private readonly log: Proxy<Recorder>,
    private readonly tag: string,
  ) {
    super();
  }

  onStart(): void {
    this.log.add(`start ${this.tag}`);
  }

  onRestart(error: Error): void {
    this.log.add(`restart ${this.tag} after ${error.message}`);
  }

  onStop(reason: string): void {
    this.log.add(`stop ${this.tag} ${reason}`);
  }

  @Tell work(i: number): void {
    this.log.add(`work ${i} #${++this.handled}`);
  }

  @Tell fail(message: string): void {
    throw new Error(message);
  }

  @Ask failAsk(message: string): number {
    throw new Error(message);
  }

  /** how many `work` messages this instance handled */
  @Ask handledHere(): number {
    return this.handled;
  }
}

/** Stops on its first failure (supervision 'stop'). */
@Actor({ supervision: { onError: 'stop' } })
export class Fragile {
  @Tell fail(message: string): void {
    throw new Error(message);
  }
  @Ask ping(): string {
    return 'pong';
  }
}

/** Its async onStart waits, then fails or not as told: a failing one fails the spawn. */
@Actor
export class SlowStart {
  constructor(private readonly failWith: string | null) {}

  async onStart(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWith !== null) throw new ActorError(this.failWith);
  }

  @Ask ping(): string {
    return 'pong';
  }
}

/** Watches actors and records each `onTerminated(ref, reason)` into a Recorder. */
@Actor
export class Watcher extends ActorBase {
  constructor(private readonly log: Proxy<Recorder>) {
    super();
  }

  @Tell @Ref watchIt(target: Proxy<unknown>): void {
    this.watch(target);
  }

  @Tell @Ref unwatchIt(target: Proxy<unknown>): void {
    this.unwatch(target);
  }

  /** answers after the watches sent before it were made (a round trip through the mailbox) */
  @Ask ready(): boolean {
    return true;
  }

  onTerminated(ref: Proxy<unknown>, reason: string): void {
    this.log.add(`terminated ${ref.getId()} ${reason}`);
  }
}

/** A mailbox that `hold` keeps busy; the subclasses below bound it to two messages, one per overflow policy. */
export class BoundedBase {
  private readonly seen: number[] = [];
  /** holds the mailbox until the gate opens */
  @Ask @Ref async hold(gate: Proxy<Gate>): Promise<void> {
    await gate.wait();
  }
  @Ask note(i: number): number[] {
    this.seen.push(i);
    return [...this.seen];
  }
  @Tell noteTell(i: number): void {
    this.seen.push(i);
  }
}

@Actor({ mailbox: { capacity: 2, overflow: 'reject' } })
export class BoundedReject extends BoundedBase {}

@Actor({ mailbox: { capacity: 2, overflow: 'drop-oldest' } })
export class BoundedDropOldest extends BoundedBase {}

@Actor({ mailbox: { capacity: 2, overflow: 'drop-newest' } })
export class BoundedDropNewest extends BoundedBase {}

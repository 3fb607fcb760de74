/**
 * interval and later: calls of an actor's `@Tell` method, repeated or delayed. Timers are
 * unref'd (they do not keep the process alive by themselves); they are cancelled when the
 * host they are attached to shuts down, and when the actor they call stops (stopActor, its
 * host shutting down, its worker thread dying: see {@link cancelTimersOf}).
 */
import { IntervalError } from './errors';
import { sendTell, tellMethodOf, type Proxy } from './actor/proxy';
import { getHandle } from './actor/proxy';
import type { HostProxy } from './host/types';
import { router } from './host/router';
import { clock, type ClockTimer } from './clock';

interface Cancellable {
  cancel(): void;
}

interface TimerSet {
  readonly timers: Set<Cancellable>;
}

/** The intervals and timers of this thread, by the URL of the actor they call. */
const byTarget = new Map<string, Set<Cancellable>>();

function aim(url: string, t: Cancellable): void {
  let set = byTarget.get(url);
  if (set === undefined) byTarget.set(url, (set = new Set()));
  set.add(t);
}

function unaim(url: string, t: Cancellable): void {
  const set = byTarget.get(url);
  if (set !== undefined && set.delete(t) && set.size === 0) byTarget.delete(url);
}

/**
 * @internal Cancels, without a report, every interval and `later` timer of this thread that
 * calls the actor at `url`: the actor has stopped. Called on each thread that may hold such
 * timers by whatever ends the actor (the host on stopActor and shutdown, the threads runtime
 * on its workers and when a worker dies).
 */
export function cancelTimersOf(url: string): void {
  const set = byTarget.get(url);
  if (set === undefined) return;
  byTarget.delete(url);
  for (const t of set) t.cancel();
}

/** Attaches `t` to the host of this process at `hostUrl` (its URL or base URL), if there is one. */
function attach(hostUrl: string | undefined, t: Cancellable): TimerSet | undefined {
  if (hostUrl === undefined) return undefined;
  for (const h of router.hosts.values()) {
    if (h.url === hostUrl || h.base === hostUrl) {
      h.timers.add(t);
      return h;
    }
  }
  return undefined;
}

/** A repeating call started by {@link interval}. */
export class Interval {
  private timer: ClockTimer | null;
  private owner: TimerSet | undefined;
  /** the clock the timer was set on */
  private readonly clock = clock;

  /** @internal */
  constructor(
    hostUrl: string | undefined,
    private readonly target: string,
    seconds: number,
    fire: () => void,
  ) {
    this.timer = this.clock.setInterval(fire, Math.max(1, seconds * 1000));
    this.timer.unref();
    this.owner = attach(hostUrl, this);
    aim(target, this);
    try {
      fire();
    } catch (e) {
      // the first call was refused at once (e.g. an argument that cannot travel): no interval
      this.cancel();
      throw e;
    }
  }

  /** Stops the interval (PyActor's name). */
  set(): void {
    this.cancel();
  }

  /** Stops the interval. */
  cancel(): void {
    if (this.timer === null) return;
    this.clock.clearInterval(this.timer);
    this.timer = null;
    this.owner?.timers.delete(this);
    unaim(this.target, this);
  }

  /** True until it is stopped. */
  get active(): boolean {
    return this.timer !== null;
  }
}

/** A delayed call started by {@link later}. */
export class Timer {
  private timer: ClockTimer | null;
  private owner: TimerSet | undefined;
  /** the clock the timer was set on */
  private readonly clock = clock;

  /** @internal */
  constructor(
    hostUrl: string | undefined,
    private readonly target: string,
    seconds: number,
    fire: () => void,
  ) {
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.owner?.timers.delete(this);
        unaim(this.target, this);
        fire();
      },
      Math.max(0, seconds * 1000),
    );
    this.timer.unref();
    this.owner = attach(hostUrl, this);
    aim(target, this);
  }

  /** Stops the call if it has not happened yet. */
  cancel(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.owner?.timers.delete(this);
    unaim(this.target, this);
  }

  /** True until it fires or is cancelled. */
  get pending(): boolean {
    return this.timer !== null;
  }
}

function checkSeconds(fn: string, seconds: number): void {
  if (typeof seconds !== 'number' || !(seconds >= 0) || !Number.isFinite(seconds)) {
    throw new IntervalError(`${fn}: seconds must be a non-negative number, got ${String(seconds)}`);
  }
}

/**
 * Calls `actor.method(...args)` at once, then every `seconds`, until `.set()` or
 * `.cancel()`, until `host` shuts down, or until the actor stops. Only `@Tell` methods
 * (IntervalError otherwise).
 */
export function interval<T>(host: HostProxy, seconds: number, actor: Proxy<T>, method: string, ...args: unknown[]): Interval {
  checkSeconds('interval', seconds);
  if (!(seconds > 0)) throw new IntervalError('interval: seconds must be greater than 0');
  const h = tellMethodOf(actor, method, 'interval', IntervalError);
  const hostUrl = getHandle(host)?.addr.url;
  return new Interval(hostUrl, h.addr.url, seconds, () => sendTell(h, method, args.slice()));
}

/**
 * Calls `actor.method(...args)` once after `seconds`, unless the actor stops first. Only
 * `@Tell` methods (IntervalError otherwise).
 */
export function later<T>(seconds: number, actor: Proxy<T>, method: string, ...args: unknown[]): Timer {
  checkSeconds('later', seconds);
  const h = tellMethodOf(actor, method, 'later', IntervalError);
  return new Timer(h.addr.base, h.addr.url, seconds, () => sendTell(h, method, args));
}

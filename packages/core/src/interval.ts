/**
 * interval and later: calls of an actor's @Tell method, repeated or delayed. Timers are
 * unref'd (they do not keep the process alive by themselves) and are cancelled when the
 * host they are attached to shuts down.
 */
import { IntervalError } from './errors';
import { sendTell, tellMethodOf, type Proxy } from './actor/proxy';
import { getHandle } from './actor/proxy';
import type { HostProxy } from './host/types';
import { router } from './host/router';

/** What a timer is attached to: the host whose shutdown cancels it. */
interface TimerSet {
  readonly timers: Set<{ cancel(): void }>;
}

/** Attaches `t` to the host of this process at `hostUrl` (its URL or base URL), if there is one. */
function attach(hostUrl: string | undefined, t: { cancel(): void }): TimerSet | undefined {
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
  private timer: NodeJS.Timeout | null;
  private owner: TimerSet | undefined;

  /** @internal */
  constructor(hostUrl: string | undefined, seconds: number, fire: () => void) {
    this.timer = setInterval(fire, Math.max(1, seconds * 1000));
    this.timer.unref();
    this.owner = attach(hostUrl, this);
    fire();
  }

  /** Stops the interval (PyActor's name). */
  set(): void {
    this.cancel();
  }

  /** Stops the interval. */
  cancel(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.owner?.timers.delete(this);
  }

  /** True until it is stopped. */
  get active(): boolean {
    return this.timer !== null;
  }
}

/** A delayed call started by {@link later}. */
export class Timer {
  private timer: NodeJS.Timeout | null;
  private owner: TimerSet | undefined;

  /** @internal */
  constructor(hostUrl: string | undefined, seconds: number, fire: () => void) {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.owner?.timers.delete(this);
      fire();
    }, Math.max(0, seconds * 1000));
    this.timer.unref();
    this.owner = attach(hostUrl, this);
  }

  /** Stops the call if it has not happened yet. */
  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.owner?.timers.delete(this);
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
 * `.cancel()`, or until `host` shuts down. Only @Tell methods (IntervalError otherwise).
 */
export function interval<T>(host: HostProxy, seconds: number, actor: Proxy<T>, method: string, ...args: unknown[]): Interval {
  checkSeconds('interval', seconds);
  if (!(seconds > 0)) throw new IntervalError('interval: seconds must be greater than 0');
  const h = tellMethodOf(actor, method, 'interval', IntervalError);
  const hostUrl = getHandle(host)?.addr.url;
  return new Interval(hostUrl, seconds, () => sendTell(h, method, args.slice()));
}

/** Calls `actor.method(...args)` once after `seconds`. Only @Tell methods (IntervalError otherwise). */
export function later<T>(seconds: number, actor: Proxy<T>, method: string, ...args: unknown[]): Timer {
  checkSeconds('later', seconds);
  const h = tellMethodOf(actor, method, 'later', IntervalError);
  return new Timer(h.addr.base, seconds, () => sendTell(h, method, args));
}

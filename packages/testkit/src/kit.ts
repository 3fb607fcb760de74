/**
 * The test kit: hosts on a virtual (or the real) clock, probes, and awaiting an actor's end.
 */
import {
  createHost,
  getContext,
  hasRuntime,
  registerRuntime,
  setClock,
  setContext,
  shutdown,
  watch,
  type Clock,
  type HostOptions,
  type HostProxy,
  type Proxy,
  type StopReason,
} from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';
import { VirtualClock, settle } from './virtual-clock';
import { Probe, ProbeInbox, probeClass, type ProbeShape } from './probe';

/** The options of {@link createTestKit}. */
export interface TestKitOptions {
  /**
   * 'virtual' (the default): timeouts, intervals, `later`, `sleep` and supervision backoff of
   * this thread run on a clock that moves only with {@link TestKit.advance}; 'real': Node's.
   */
  clock?: 'virtual' | 'real';
}

let kits = 0;

/** A test kit: see {@link createTestKit}. */
export class TestKit {
  private readonly hosts: string[] = [];
  private probeHost: HostProxy | null = null;
  private probes = 0;
  private closed = false;
  private readonly n = ++kits;

  /** @internal */
  constructor(
    /** 'virtual' or 'real' */
    readonly clockKind: 'virtual' | 'real',
    private readonly virtual: VirtualClock | null,
    private readonly previous: Clock | null,
  ) {}

  /** The kit's time in seconds (virtual: since the kit was made). */
  now(): number {
    return (this.virtual?.now() ?? performance.now()) / 1000;
  }

  /**
   * Moves the virtual clock `seconds` forward, firing the timers due on the way in order and
   * letting the actors handle what they sent. On the real clock, waits that long.
   */
  async advance(seconds: number): Promise<void> {
    if (this.virtual === null) {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      await settle();
      return;
    }
    await this.virtual.advance(seconds * 1000);
  }

  /** Lets every actor handle what it has been sent (no time passes). */
  settle(): Promise<void> {
    return settle();
  }

  /** Creates a host (as `createHost`), shut down with the kit; by default a fresh local:// one. */
  async createHost(url?: string, options?: HostOptions): Promise<HostProxy> {
    const u = url ?? `local://testkit-${this.n}-${this.hosts.length + 1}:1/host`;
    const h = await createHost(u, options);
    this.hosts.push(u);
    return h;
  }

  /**
   * A probe: an actor (on a host of the kit, in the 'async' runtime) with the methods of
   * `shape` (an actor class, or `{ tells, asks }` names) that records what it receives.
   */
  async probe<T = unknown>(shape?: ProbeShape, id?: string): Promise<Probe<T>> {
    if (this.probeHost === null) {
      const ctx = getContext();
      setContext('async');
      try {
        this.probeHost = await this.createHost(`local://testkit-${this.n}-probes:1/host`);
      } finally {
        setContext(ctx);
      }
    }
    const klass = probeClass(shape);
    const inbox = new ProbeInbox();
    const pid = id ?? `probe-${++this.probes}`;
    const ref = await this.probeHost.spawn(pid, klass as new (inbox: ProbeInbox) => object, inbox);
    return new Probe<T>(ref as unknown as Proxy<T>, inbox, (s) => this.advance(s));
  }

  /** Resolves with the reason once the actor behind `proxy` ends (at once if it has ended). */
  watchOf(proxy: unknown): Promise<StopReason> {
    return new Promise((resolve) => {
      watch(proxy, (_ref, reason) => resolve(reason));
    });
  }

  /** Shuts down the kit's hosts and puts the real clock back. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const u of this.hosts.reverse()) {
      try {
        await shutdown(u);
      } catch (e) {
        if (!(e instanceof Error && /no host is running/.test(e.message))) errors.push(e);
      }
    }
    if (this.previous !== null) setClock(this.previous);
    if (errors.length > 0) throw new AggregateError(errors, 'errors while shutting down the test kit');
  }
}

/**
 * Makes a test kit. With `{ clock: 'virtual' }` (the default) this thread's clock becomes a
 * virtual one until `kit.shutdown()`: make the kit before the hosts and timers it should
 * govern.
 * @example
 * ```ts
 * const kit = await createTestKit({ clock: 'virtual' });
 * const h = await kit.createHost();
 * const probe = await kit.probe<Listener>(Listener);
 * later(5, probe.ref, 'ping');
 * await kit.advance(5);
 * await probe.expectTell('ping');
 * await kit.shutdown();
 * ```
 */
export async function createTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const kind: unknown = options.clock ?? 'virtual';
  if (kind !== 'virtual' && kind !== 'real') throw new TypeError(`createTestKit: clock must be 'virtual' or 'real', got ${String(kind)}`);
  if (!hasRuntime('async')) registerRuntime(asyncRuntime);
  if (kind === 'real') return new TestKit('real', null, null);
  const virtual = new VirtualClock();
  const previous = setClock(virtual);
  await settle();
  return new TestKit('virtual', virtual, previous);
}

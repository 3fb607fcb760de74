/**
 * The activations of one member: the virtual actors it runs, each under an activation lease
 * with a fencing epoch from the store.
 *
 * A call for an identity reaches the member on the identity's direct id (a caller's call,
 * through {@link Activations.target}: straight to the activation while it serves and its
 * lease is certainly live) or through the member's gateway ({@link GatewayChannel}: calls
 * forwarded by other members, calls from this member), which hands it to
 * {@link Activations.deliver} (as the direct id does when the activation does not serve):
 * - an identity active here, whose lease is certainly live (checked on the local clock
 *   against the last renewal), gets the call at once, in order;
 * - an identity being activated, or passivated, keeps the call in a bounded queue until that
 *   ends;
 * - an identity not active here is forwarded to its owner when this member is not the owner
 *   (or is leaving), else activated: the lease is acquired (waiting for an earlier holder's
 *   lease to end when that holder is gone), the actor spawned on this member's host as
 *   `<Kind>/<key>`, and the queued calls delivered.
 * An activation that is not on its owner (after a membership change, or started where a
 * call was forwarded too often) passivates: at once after a membership change, else at its
 * next lease renewal.
 *
 * A lease is renewed every TTL/3. When a renewal says the lease is gone, or renewals fail until
 * `margin` before the lease could end, the activation is stopped at once, before the store can
 * give the identity to another member: at most one activation serves at a time; the calls
 * queued on it and not handled yet go where the identity goes next. Idle activations (nothing
 * received for `idleTimeout`, seen by a sweep every idleTimeout/2 at most) passivate: once the
 * actor has handled what it was given, stopped with `stopActor`, then their lease released.
 */
import {
  ActorError,
  MailboxFullError,
  NotFoundError,
  attachRoute,
  reportDeadLetter,
  reportError,
  toError,
  type ActorAddress,
  type ActorCell,
  type ActorChannel,
  type ActorDescription,
  type HostTarget,
  type LocalHost,
  type Reply,
} from '@tsactor/core/internal';
import { ClusterArgumentError, ClusterUnavailableError } from './errors';
import type { Placement } from './placement';
import type { ActivationLease, MembershipProvider } from './provider';

/** The most calls one identity keeps while it is activated or passivated. */
export const MAX_PENDING = 10_000;
/** The most hops a call makes between members before it is served. */
const MAX_HOPS = 2;
/** How long an activation waits for an earlier lease to end before the calls fail (ms). */
const ACTIVATION_WAIT_MS = 10_000;

/** A record of one activation, as the `activated` and `passivated` events give it. */
export interface ActivationRecord {
  /** `<Kind>/<key>` */
  readonly identity: string;
  /** this member's URL */
  readonly member: string;
  /** the fencing epoch of the activation lease */
  readonly epoch: number;
  /** when the activation started serving (ms since the epoch) */
  readonly start: number;
  /** when it stopped (ms since the epoch); absent in `activated` */
  readonly end?: number;
  /** why it stopped: 'idle', 'rebalance', 'leave', 'lease-lost', 'failed' */
  readonly reason?: string;
}

/** What {@link Activations} needs from its member. */
export interface ActivationContext {
  readonly self: string;
  readonly host: LocalHost;
  readonly provider: MembershipProvider;
  readonly placement: Placement;
  readonly kinds: ReadonlyMap<string, { readonly klass: Function; readonly desc: ActorDescription }>;
  readonly ttlMs: number;
  readonly marginMs: number;
  readonly idleMs: number;
  /** the prefix of the direct ids of identities on this member's host (`directId(cluster, '')`) */
  readonly directPrefix: string;
  /** Sends a call to the gateway of member `url`. */
  forward(url: string, identity: string, method: string, args: unknown[], reply: Reply | null, hop: number): void;
  activated(record: ActivationRecord): void;
  passivated(record: ActivationRecord): void;
}

const ACTIVATING = 0;
const ACTIVE = 1;
const DRAINING = 2;
const GONE = 3;

interface PendingCall {
  readonly method: string;
  readonly args: unknown[];
  readonly reply: Reply | null;
  readonly hop: number;
}

interface Activation {
  readonly identity: string;
  readonly kind: string;
  state: typeof ACTIVATING | typeof ACTIVE | typeof DRAINING | typeof GONE;
  pending: PendingCall[];
  /**
   * when it was last seen in use by the idle sweep (or started): a call sets {@link used}
   * instead of reading the clock, the sweep turns it into this time
   */
  lastUsed: number;
  /** a call came or was answered since the last idle sweep */
  used: boolean;
  start: number;
  lease: ActivationLease | undefined;
  /** local instant until which the lease is certainly live, minus the margin */
  validUntil: number;
  target: { channel: ActorChannel; address: ActorAddress } | undefined;
  /**
   * what calls received on the direct id go to while it serves with a live lease: the actor's
   * cell itself (a transport queues them there, as for any actor); null until then, or when
   * the runtime gave no cell
   */
  served: (HostTarget & { readonly cell: ActorCell }) | null;
  renewTimer: NodeJS.Timeout | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  stopReason: string;
  /** what the host delivers calls sent to the identity's direct id to */
  readonly direct: HostTarget;
  /** ends the host's route of the direct id to this activation (see {@link Activations.targetOf}); null: none */
  unroute: (() => void) | null;
}

/**
 * The channel of one activation's direct id: a call goes to the activation at once when it
 * serves and its lease is certainly live (the same check as through the gateway), else
 * through {@link Activations.deliver} (queued while it is activated or passivated, forwarded,
 * or activated anew).
 */
class DirectChannel implements ActorChannel {
  readonly alive = true;

  constructor(
    private readonly owner: Activations,
    private act: Activation | undefined,
    private readonly identity: string,
  ) {}

  /** Set once, when the activation record exists. */
  bind(act: Activation): void {
    this.act = act;
  }

  send(_target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    this.owner.direct(this.act, this.identity, method, args, reply);
  }
}

/**
 * The answer slot of a call handed to an activation through {@link Activations.deliver} (not
 * straight from a transport): marks the activation used, passes the answer on, and sends the
 * call on when the activation stopped before handling it. It carries the call itself.
 */
class ActivationReply implements Reply {
  constructor(
    private readonly owner: Activations,
    private readonly act: Activation,
    private readonly method: string,
    private readonly args: unknown[],
    readonly reply: Reply | null,
    readonly hop: number,
  ) {}

  resolve(value: unknown): void {
    this.act.used = true;
    this.reply?.resolve(value);
  }

  reject(error: unknown): void {
    this.act.used = true;
    // stopped because its lease was lost before it handled the call: not handled, so it may go elsewhere
    if (this.act.state === GONE && error instanceof NotFoundError) {
      this.owner.deliver(this.act.identity, this.method, this.args, this.reply, this.hop);
      return;
    }
    if (this.reply !== null) this.reply.reject(error);
    else reportError(toError(error), { actor: this.act.identity, method: this.method, kind: 'tell' });
  }
}

/** See the file comment. */
export class Activations {
  private readonly acts = new Map<string, Activation>();
  /** the same activations by their direct id: a call to one finds it with no slicing of its id */
  private readonly byDirect = new Map<string, Activation>();
  private serving = true;
  private readonly idleTimer: NodeJS.Timeout;
  /** the clock as read by the first {@link target} of the current run of received calls (see there) */
  private clock = 0;
  private clockRead = false;
  private readonly clockStale = (): void => {
    this.clockRead = false;
  };
  private readonly drained = new Set<() => void>();

  constructor(private readonly ctx: ActivationContext) {
    this.idleTimer = setInterval(() => this.sweepIdle(), Math.max(50, Math.min(ctx.idleMs / 2, 5000)));
    this.idleTimer.unref();
  }

  /** Whether this member takes activations (read anew after awaits). */
  private isServing(): boolean {
    return this.serving;
  }

  /** The identities active here. */
  active(): string[] {
    return [...this.acts.values()].filter((a) => a.state === ACTIVE).map((a) => a.identity);
  }

  /** Handles one call for `identity` (see the file comment). Never throws: failures go to `reply`. */
  deliver(identity: unknown, method: unknown, args: unknown, reply: Reply | null, hop: unknown): void {
    let kind: string;
    try {
      kind = this.check(identity, method, args);
    } catch (e) {
      fail(reply, e, String(identity), String(method));
      return;
    }
    const id = identity as string;
    const h = typeof hop === 'number' && Number.isSafeInteger(hop) && hop >= 0 ? hop : MAX_HOPS;
    let act = this.acts.get(id);
    if (act !== undefined && act.state === ACTIVE) {
      if (act.validUntil > Date.now()) {
        this.send(act, method as string, args as unknown[], reply, h);
        return;
      }
      this.lose(act);
      act = undefined;
    }
    const call: PendingCall = { method: method as string, args: args as unknown[], reply, hop: h };
    if (act !== undefined) {
      this.enqueue(act, call);
      return;
    }
    const owner = this.ctx.placement.ownerOf(id, kind, this.serving ? undefined : this.ctx.self);
    // a call forwarded here goes on to the owner too (a member handing the identity over
    // passes on what it queued meanwhile); one forwarded MAX_HOPS times is served where it is,
    // so that members whose views disagree for a moment do not pass it around
    if (!this.serving || (owner !== undefined && owner.url !== this.ctx.self && h < MAX_HOPS)) {
      if (owner === undefined || owner.url === this.ctx.self) {
        fail(reply, new ClusterUnavailableError(`no other live member declares kind '${kind}' to serve ${id}; start one`), id, call.method);
      } else {
        this.ctx.forward(owner.url, id, call.method, call.args, reply, h + 1);
      }
      return;
    }
    const channel = new DirectChannel(this, undefined, id);
    const did = this.ctx.directPrefix + id;
    act = {
      direct: {
        channel,
        address: { url: this.ctx.host.base + did, base: this.ctx.host.base, id: did, desc: this.ctx.kinds.get(kind)!.desc },
        cell: null,
      },
      identity: id,
      kind,
      state: ACTIVATING,
      pending: [call],
      lastUsed: Date.now(),
      used: false,
      start: 0,
      lease: undefined,
      validUntil: 0,
      target: undefined,
      served: null,
      renewTimer: undefined,
      deadlineTimer: undefined,
      stopReason: '',
      unroute: null,
    };
    channel.bind(act);
    this.acts.set(id, act);
    this.byDirect.set(did, act);
    void this.activate(act);
  }

  /**
   * The target of direct id `id` (under {@link ActivationContext.directPrefix}) on this
   * member's host: the activation's channel, or one that hands calls to `deliver`; null when
   * the id names no identity of a kind this member serves. `id` comes from the network.
   */
  target(id: string): HostTarget | null {
    const known = this.byDirect.get(id);
    if (known !== undefined) return this.targetOf(known);
    const identity = id.slice(this.ctx.directPrefix.length);
    const act = this.acts.get(identity);
    if (act !== undefined) return act.direct;
    const slash = identity.indexOf('/');
    const k =
      slash > 0 && slash < identity.length - 1 && identity.length <= 1024 ? this.ctx.kinds.get(identity.slice(0, slash)) : undefined;
    if (k === undefined) return null;
    const base = this.ctx.host.base;
    return { channel: new DirectChannel(this, undefined, identity), address: { url: base + id, base, id, desc: k.desc }, cell: null };
  }

  /**
   * The target of a call received on the direct id of `act`. While the activation is started,
   * the host finds it by that id without the prefix's resolver (LocalHost.routeId).
   */
  private targetOf(act: Activation): HostTarget {
    // serving with a live lease: the transport queues the call on the actor's cell itself
    if (act.served !== null && act.state === ACTIVE && act.validUntil > this.receivedAt()) {
      act.used = true;
      return act.served;
    }
    return act.direct;
  }

  /** A call received on the direct id of `act` (see {@link DirectChannel}); undefined `act`: none yet. */
  direct(act: Activation | undefined, identity: string, method: string, args: unknown[], reply: Reply | null): void {
    if (act !== undefined && act.state === ACTIVE && act.validUntil > Date.now()) this.send(act, method, args, reply, 0);
    else this.deliver(identity, method, args, reply, 0);
  }

  /**
   * The clock for the lease check of {@link target}, read once per run of calls received
   * together (a transport hands the calls of one read of its connection to the host in one
   * synchronous run, and asks `target` for each). It goes stale at the end of that run (a
   * microtask), before the dispatcher runs an actor: no call is checked against a reading older
   * than the read of the connection it came in, and an actor handles nothing of it before its
   * deadline timer has had the chance to stop it, as with a reading per call.
   */
  private receivedAt(): number {
    if (this.clockRead) return this.clock;
    this.clockRead = true;
    queueMicrotask(this.clockStale);
    return (this.clock = Date.now());
  }

  /** Passivates the activations whose owner is now another member (after a membership change). */
  rebalance(): void {
    for (const act of this.acts.values()) this.rebalanceOne(act);
  }

  /** Passivates `act` when its owner is another member. */
  private rebalanceOne(act: Activation): void {
    if (!this.serving || act.state !== ACTIVE) return;
    const owner = this.ctx.placement.ownerOf(act.identity, act.kind);
    if (owner !== undefined && owner.url !== this.ctx.self) this.passivate(act, 'rebalance');
  }

  /**
   * Stops serving: every activation passivates (calls it already has are answered; calls that
   * come meanwhile wait, then go to the new owner). Resolves when none is left.
   */
  async handOver(): Promise<void> {
    this.serving = false;
    for (const act of this.acts.values()) if (act.state === ACTIVE) this.passivate(act, 'leave');
    while (this.acts.size > 0) await new Promise<void>((resolve) => this.drained.add(resolve));
  }

  /** This member's lease is lost: every activation stops at once (no lease is released). */
  loseAll(): void {
    for (const act of [...this.acts.values()]) if (act.state === ACTIVE || act.state === DRAINING) this.lose(act);
  }

  /** Stops the timers (after handOver or loseAll). */
  close(): void {
    this.serving = false;
    clearInterval(this.idleTimer);
    this.loseAll();
  }

  // ------------------------------------------------------------------ internals

  private check(identity: unknown, method: unknown, args: unknown): string {
    if (typeof identity !== 'string' || identity.length > 1024) {
      throw new ClusterArgumentError('a cluster call names no valid identity; give <Kind>/<key>');
    }
    const slash = identity.indexOf('/');
    const kind = slash > 0 ? identity.slice(0, slash) : '';
    const k = this.ctx.kinds.get(kind);
    if (k === undefined || slash === identity.length - 1) {
      throw new ClusterArgumentError(
        `member ${this.ctx.self} does not serve ${JSON.stringify(identity.slice(0, 80))}: its kinds are ${[...this.ctx.kinds.keys()].join(', ') || 'none'}`,
      );
    }
    if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(k.desc.methods, method)) {
      throw new ActorError(`${kind} has no @Tell or @Ask method '${String(method).slice(0, 64)}'`, { code: 'UNKNOWN_METHOD' });
    }
    if (!Array.isArray(args))
      throw new ActorError(`malformed cluster call to ${identity}: the arguments are not a list`, { code: 'MALFORMED' });
    return kind;
  }

  private send(act: Activation, method: string, args: unknown[], reply: Reply | null, hop: number): void {
    const t = act.target!;
    act.used = true;
    t.channel.send(t.address, method, args, new ActivationReply(this, act, method, args, reply, hop));
  }

  private enqueue(act: Activation, call: PendingCall): void {
    if (act.pending.length >= MAX_PENDING) {
      const error = new MailboxFullError(
        `${act.identity} already has ${MAX_PENDING} calls waiting for its activation; ${call.method}() refused, call again later`,
      );
      if (call.reply !== null) call.reply.reject(error);
      else reportDeadLetter({ target: act.identity, method: call.method, kind: 'tell', reason: 'overflow', count: 1, error });
      return;
    }
    act.pending.push(call);
  }

  private async activate(act: Activation): Promise<void> {
    const deadline = Date.now() + ACTIVATION_WAIT_MS;
    const ttl = this.ctx.ttlMs / 1000;
    for (;;) {
      if (!this.serving) {
        this.redeliver(act);
        return;
      }
      const sentAt = Date.now();
      let r;
      try {
        r = await this.ctx.provider.acquire(act.identity, this.ctx.self, ttl);
      } catch (e) {
        if (Date.now() > deadline) {
          this.failPending(act, e);
          return;
        }
        await pause(200);
        continue;
      }
      if (r.acquired) {
        act.lease = r.lease;
        if (!this.isServing()) {
          await this.ctx.provider.release(r.lease).catch(() => false);
          this.redeliver(act);
          return;
        }
        return this.started(act, sentAt);
      }
      const holder = r.holder;
      if (holder.memberUrl !== this.ctx.self && this.ctx.placement.isReachable(holder.memberUrl)) {
        // another live member runs it: the calls go there
        this.forget(act);
        for (const c of act.pending.splice(0)) {
          if (c.hop < MAX_HOPS) this.ctx.forward(holder.memberUrl, act.identity, c.method, c.args, c.reply, c.hop + 1);
          else this.deliverLater(act.identity, c, holder.memberUrl);
        }
        this.notifyDrained();
        return;
      }
      if (Date.now() > deadline) {
        this.failPending(
          act,
          new ClusterUnavailableError(
            `${act.identity} is still held by ${holder.memberUrl} (epoch ${holder.epoch}), which this member cannot reach; call again after its lease ends`,
          ),
        );
        return;
      }
      await pause(Math.min(200, Math.max(20, holder.leaseUntil - Date.now())));
    }
  }

  /** A call that went around too many members: it fails (rare: placement changed twice meanwhile). */
  private deliverLater(identity: string, c: PendingCall, holder: string): void {
    fail(
      c.reply,
      new ClusterUnavailableError(`${identity} moved while ${c.method}() was routed (now on ${holder}); call again`),
      identity,
      c.method,
    );
  }

  private async started(act: Activation, sentAt: number): Promise<void> {
    const lease = act.lease!;
    const k = this.ctx.kinds.get(act.kind)!;
    try {
      const made = this.ctx.host.spawn(act.identity, k.klass, []);
      if (made instanceof Promise) await made;
    } catch (e) {
      await this.ctx.provider.release(lease).catch(() => false);
      {
        this.failPending(act, e);
        return;
      }
    }
    // calls to the actor's own id (its `this.proxy`, a proxy looked up by id) are checked as
    // calls to its direct id are: the actor never serves one outside its lease
    const did = act.direct.address.id;
    const t = this.ctx.host.guard(act.identity, () => this.target(did));
    if (t === null) {
      await this.ctx.provider.release(lease).catch(() => false);
      this.failPending(act, new ActorError(`${act.identity} stopped while it was activated`, { code: 'ACTIVATION_FAILED' }));
      return;
    }
    act.target = { channel: t.channel, address: t.address };
    // a transport queues calls to the direct id on the cell; a proxy on this host that
    // resolves the id still gets the channel that checks the lease per call. The address is
    // described by the actor's own definition, as the addresses of the host's actors are
    if (t.cell !== null) act.served = { channel: act.direct.channel, address: { ...act.direct.address, desc: t.cell.def }, cell: t.cell };
    if (this.byDirect.get(did) === act) act.unroute = attachRoute(this.ctx.host, did, () => this.targetOf(act));
    act.start = Date.now();
    act.state = ACTIVE;
    this.leaseRenewed(act, sentAt);
    this.ctx.activated({ identity: act.identity, member: this.ctx.self, epoch: lease.epoch, start: act.start });
    this.scheduleRenewal(act);
    for (const c of act.pending.splice(0)) {
      // a call handed over may end the activation (its lease found lost): the rest re-route
      if (stateOf(act) === ACTIVE) this.send(act, c.method, c.args, c.reply, c.hop);
      else this.deliver(act.identity, c.method, c.args, c.reply, c.hop);
    }
    // a hand-over began while it was activated
    if (!this.serving) this.passivate(act, 'leave');
  }

  private leaseRenewed(act: Activation, sentAt: number): void {
    act.validUntil = sentAt + this.ctx.ttlMs - this.ctx.marginMs;
    clearTimeout(act.deadlineTimer);
    act.deadlineTimer = setTimeout(() => this.lose(act), Math.max(0, act.validUntil - Date.now()));
    act.deadlineTimer.unref();
  }

  private scheduleRenewal(act: Activation): void {
    act.renewTimer = setTimeout(() => void this.renew(act), Math.max(1, Math.floor(this.ctx.ttlMs / 3)));
    act.renewTimer.unref();
  }

  private async renew(act: Activation): Promise<void> {
    if (act.state !== ACTIVE && act.state !== DRAINING) return;
    const sentAt = Date.now();
    try {
      const renewed = await this.ctx.provider.renewActivation(act.lease!, this.ctx.ttlMs / 1000);
      // stopped meanwhile (the state changes while the renewal is under way)
      if (stateOf(act) === GONE) return;
      if (renewed === null) {
        this.lose(act);
        return;
      }
      this.leaseRenewed(act, sentAt);
    } catch {
      // the store is away: the deadline timer stops the activation before the lease can end
    }
    // an activation can start on a member that is not its owner (a call forwarded twice, views
    // that disagreed for a moment); no membership event need follow to move it, so each renewal
    // looks again
    this.rebalanceOne(act);
    if (stateOf(act) === ACTIVE || stateOf(act) === DRAINING) this.scheduleRenewal(act);
  }

  /** The lease is lost (or about to be): stop at once, without releasing it. */
  private lose(act: Activation): void {
    if (act.state === GONE || act.state === ACTIVATING) return;
    act.stopReason = 'lease-lost';
    this.finish(act);
    this.takeBack(act);
    this.ctx.host.stopActor(act.identity).catch(() => undefined);
    this.report(act);
    this.redeliver(act);
  }

  private passivate(act: Activation, reason: string): void {
    if (act.state !== ACTIVE) return;
    act.state = DRAINING;
    act.stopReason = reason;
    void this.stop(act);
  }

  /**
   * The calls queued on the actor's cell and not handled yet (received straight from a
   * transport, or handed over by `send`) go back in front of the activation's waiting calls,
   * to go where the identity goes next.
   */
  private takeBack(act: Activation): void {
    if (act.served === null) return;
    const taken: PendingCall[] = [];
    act.served.cell.takeQueued((method, args, reply) => {
      // a call handed over by send() goes on with its caller's slot, not wrapped twice
      if (reply instanceof ActivationReply) taken.push({ method, args, reply: reply.reply, hop: reply.hop });
      else taken.push({ method, args, reply, hop: 0 });
    });
    if (taken.length > 0) act.pending = taken.concat(act.pending);
  }

  /**
   * A passivating activation: once its actor has handled every call it was given (calls that
   * come meanwhile wait), stopped, reported, its lease released, then its waiting calls re-routed.
   */
  private async stop(act: Activation): Promise<void> {
    // called once per activation: passivate() turns it from ACTIVE to DRAINING
    if (act.served !== null) await act.served.cell.whenQuiet();
    // its lease was lost meanwhile: lose() stopped it
    if (stateOf(act) !== DRAINING) return;
    this.finish(act);
    try {
      await this.ctx.host.stopActor(act.identity);
    } catch {
      // already stopped (e.g. with its host)
    }
    this.report(act);
    await this.ctx.provider.release(act.lease!).catch(() => false);
    this.redeliver(act);
  }

  private finish(act: Activation): void {
    act.state = GONE;
    clearTimeout(act.renewTimer);
    clearTimeout(act.deadlineTimer);
    this.unroute(act);
  }

  /** Ends the host's route of the direct id to `act`: calls to it are resolved by id again. */
  private unroute(act: Activation): void {
    act.unroute?.();
    act.unroute = null;
  }

  private report(act: Activation): void {
    this.ctx.passivated({
      identity: act.identity,
      member: this.ctx.self,
      epoch: act.lease!.epoch,
      start: act.start,
      end: Date.now(),
      reason: act.stopReason,
    });
  }

  /** Removes `act` from the tables (unless another activation of its identity replaced it there). */
  private forget(act: Activation): void {
    this.unroute(act);
    if (this.acts.get(act.identity) === act) this.acts.delete(act.identity);
    if (this.byDirect.get(act.direct.address.id) === act) this.byDirect.delete(act.direct.address.id);
  }

  /** Removes `act` and hands its waiting calls to `deliver` again (a new activation or the new owner). */
  private redeliver(act: Activation): void {
    act.state = GONE;
    this.forget(act);
    for (const c of act.pending.splice(0)) this.deliver(act.identity, c.method, c.args, c.reply, c.hop);
    this.notifyDrained();
  }

  private failPending(act: Activation, error: unknown): void {
    act.state = GONE;
    this.forget(act);
    for (const c of act.pending.splice(0)) fail(c.reply, error, act.identity, c.method);
    this.notifyDrained();
  }

  private notifyDrained(): void {
    if (this.acts.size > 0) return;
    for (const fn of [...this.drained]) fn();
    this.drained.clear();
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const act of this.acts.values()) {
      if (act.used) {
        act.used = false;
        act.lastUsed = now;
      } else if (act.state === ACTIVE && (act.served === null || act.served.cell.quiet) && now - act.lastUsed >= this.ctx.idleMs) {
        this.passivate(act, 'idle');
      }
    }
  }
}

/** The state as it is now (it changes across awaits and callbacks, which narrowing does not see). */
function stateOf(act: Activation): number {
  return act.state;
}

function fail(reply: Reply | null, error: unknown, identity: string, method: string): void {
  if (reply !== null) reply.reject(error);
  else reportError(toError(error), { actor: identity, method, kind: 'tell' });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

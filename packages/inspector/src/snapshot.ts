/**
 * What the inspector page shows, taken from the hosts of this process and the counters
 * that observation keeps: hosts and their peers, actors with their mailbox depth, message
 * count and rate, last error and restarts, the sender→receiver graph with rates, and the
 * recent events (stops are seen as actors that are gone since the previous snapshot).
 */
import { actorStats, forgetActor, messageEdges, peerStates, recentEvents, router, type ObservedEvent } from '@tsactor/core/internal';

/** One actor in a snapshot. */
export interface ActorView {
  readonly id: string;
  readonly url: string;
  readonly className: string;
  /** messages waiting (null: the actor lives on another thread) */
  readonly depth: number | null;
  readonly handled: number;
  /** messages handled per second since the previous snapshot */
  readonly rate: number;
  readonly errors: number;
  readonly restarts: number;
  readonly lastError: string | null;
}

/** One host of this process in a snapshot. */
export interface HostView {
  readonly url: string;
  readonly runtime: string;
  readonly actors: ActorView[];
  /** the hosts it talks to */
  readonly peers: Array<{ readonly url: string; readonly up: boolean | null }>;
}

/** A sender→receiver edge of the graph. */
export interface EdgeView {
  /** the sender's URL ('' outside actors) */
  readonly from: string;
  readonly to: string;
  readonly count: number;
  /** messages per second since the previous snapshot */
  readonly rate: number;
}

/** Everything the page shows at one moment. */
export interface Snapshot {
  readonly at: number;
  readonly hosts: HostView[];
  readonly edges: EdgeView[];
  readonly events: Array<ObservedEvent | { at: number; kind: 'stopped' | 'started'; actor: string; message: string }>;
}

/** Takes snapshots, remembering the previous one for rates and stops. */
export class Snapshotter {
  private prevAt = 0;
  private readonly prevHandled = new Map<string, number>();
  private readonly prevEdges = new Map<string, number>();
  private known = new Set<string>();
  private readonly lifecycle: Array<{ at: number; kind: 'stopped' | 'started'; actor: string; message: string }> = [];

  take(): Snapshot {
    const now = Date.now();
    const first = this.prevAt === 0;
    const seconds = this.prevAt === 0 ? 0 : (now - this.prevAt) / 1000;
    this.prevAt = now;
    const rate = (n: number, before: number | undefined): number =>
      seconds === 0 || before === undefined ? 0 : Math.round(((n - before) / seconds) * 10) / 10;

    const hosts: HostView[] = [];
    const alive = new Set<string>();
    const peerInfo = peerStates();
    const peersOf = new Map<string, Set<string>>();
    for (const [from, to] of router.outboundPeers()) {
      let set = peersOf.get(from);
      if (set === undefined) peersOf.set(from, (set = new Set()));
      set.add(to);
    }
    for (const host of router.hosts.values()) {
      const actors: ActorView[] = [];
      for (const a of host.inspectActors()) {
        const url = a.address.url;
        alive.add(url);
        const s = actorStats(url);
        const handled = s?.handled ?? 0;
        actors.push({
          id: a.id,
          url,
          className: a.address.desc.name,
          depth: a.cell === null ? null : a.cell.depth,
          handled,
          rate: rate(handled, this.prevHandled.get(url)),
          errors: s?.errors ?? 0,
          restarts: s?.restarts ?? 0,
          lastError: s?.lastError?.message ?? null,
        });
        this.prevHandled.set(url, handled);
      }
      actors.sort((x, y) => x.id.localeCompare(y.id));
      const peers = [...(peersOf.get(host.base) ?? [])].map((url) => ({ url, up: peerInfo.get(url)?.up ?? null }));
      hosts.push({ url: host.base, runtime: host.context, actors, peers });
    }

    for (const url of alive) {
      if (!this.known.has(url) && !first) this.lifecycle.push({ at: now, kind: 'started', actor: url, message: 'spawned' });
    }
    for (const url of this.known) {
      if (alive.has(url)) continue;
      this.lifecycle.push({ at: now, kind: 'stopped', actor: url, message: 'stopped' });
      this.prevHandled.delete(url);
      forgetActor(url);
    }
    this.known = alive;
    if (this.lifecycle.length > 200) this.lifecycle.splice(0, this.lifecycle.length - 200);

    const edges: EdgeView[] = [];
    for (const [to, from, count] of messageEdges()) {
      const key = `${from}>${to}`;
      edges.push({ from, to, count, rate: rate(count, this.prevEdges.get(key)) });
      this.prevEdges.set(key, count);
    }
    const events = [...recentEvents(), ...this.lifecycle].sort((x, y) => x.at - y.at).slice(-100);
    return { at: now, hosts, edges, events };
  }
}

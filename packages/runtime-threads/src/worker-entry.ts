/**
 * The entry of a worker thread of the 'threads' runtime (loaded by boot/worker.js).
 *
 * The worker holds the cells of the actors placed on it and routes every message its
 * actors send through this thread's router fallback:
 *  - an actor of this worker: its cell, directly (no serialization, as in 'async');
 *  - an actor of the same host on another worker: the port to that worker (its place is
 *    asked of the main thread once, then remembered until the actor stops);
 *  - anything else (the Host actor, other hosts, network transports): the main thread,
 *    which delivers through its own router.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  AlreadyExistsError,
  HostDownError,
  cancelTimersOf,
  HOST_DESCRIPTION,
  NotFoundError,
  decodeValue,
  reportError,
  router,
  setErrorHandler,
  setWatchForwarder,
  spawnCell,
  type SpawnedActor,
  type StopReason,
  toError,
  type ActorAddress,
  type ActorCell,
  type ActorChannel,
  type EncodeOptions,
  type Reply,
  enableTelemetry,
  observing,
} from '@tsactor/core/internal';
import { loadClass } from './class-locator';
import { Link, LinkChannel, LinkReply, encodeArgs, encodeOptions, failMessage, wireDesc, type LinkHandler } from './link';
import type {
  ConnectPayload,
  EndedPayload,
  LocateAnswer,
  WatchPayload,
  SpawnAnswer,
  PeerDownPayload,
  SpawnPayload,
  StopPayload,
  UnplacePayload,
  WorkerInit,
} from './messages';
import { markThreadsWorker } from './worker-state';

markThreadsWorker();

const init = (workerData as { init: WorkerInit }).init;
startObserving(init.observe ?? null);

/**
 * The main thread observes: this worker passes trace contexts on and, with telemetry,
 * loads the application's setup module (which registers this thread's providers) and
 * records spans and metrics through them.
 */
function startObserving(observe: WorkerInit['observe']): void {
  if (observe === null || observe === undefined) return;
  observing.on = true;
  if (!observe.telemetry) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the application's module, named by enableTelemetry({ workerSetup })
    if (observe.setup !== null) require(observe.setup);
    enableTelemetry();
  } catch (e) {
    reportError(toError(e), { actor: init.hostUrl, method: 'telemetry setup of a worker thread', kind: 'internal' });
  }
}
const timeout = init.timeout;
const hostAddress: ActorAddress = { url: init.hostUrl, base: init.hostBase, id: init.hostId, desc: HOST_DESCRIPTION };
const CONTROL: EncodeOptions = { refs: false, where: 'the threads runtime' };

/** the actors of this worker, by id and by handle (the number messages name them by) */
const cells = new Map<string, ActorCell>();
const byHandle = new Map<number, ActorCell>();
const handles = new Map<string, number>();
let lastHandle = 0;
/** ids of recently stopped actors, by handle, for the errors of messages that arrive late */
const stopped = new Map<number, string>();
/** channels to actors of this host on other workers, by id */
const routes = new Map<string, ActorChannel>();
/** links to the other workers, by slot */
const peers = new Map<number, Link>();

/** Hands a message that arrived encoded to a cell of this worker. */
function deliverLocal(cell: ActorCell, method: string, encoded: unknown, reply: Reply | null): void {
  let args: unknown[];
  try {
    args = decodeValue(encoded, { owner: cell, timeout }) as unknown[];
  } catch (e) {
    failMessage({ url: cell.url, base: init.hostBase, id: cell.id, desc: cell.def }, method, reply, toError(e));
    return;
  }
  cell.enqueue(method, args, reply);
}

const handler: LinkHandler = {
  deliver(link, handle, method, args, rid) {
    const cell = byHandle.get(handle);
    if (cell === undefined) {
      const id = stopped.get(handle);
      const url = id === undefined ? `an actor of ${init.hostBase}` : init.hostBase + id;
      const e = new NotFoundError(`actor ${url} was stopped; ${method}() was not handled`);
      if (rid !== 0) link.fault(rid, e, method);
      else reportError(e, { actor: url, method, kind: 'tell' });
      return;
    }
    deliverLocal(cell, method, args, rid === 0 ? null : new LinkReply(link, rid, encodeOptions(cell.def, method)));
  },

  route(link, url, _desc, method, _args, rid) {
    const e = new HostDownError(`a worker of ${init.hostUrl} was asked to route ${method}() to ${url}; only the main thread routes`);
    if (rid !== 0) link.fault(rid, e, method);
  },

  call(link, name, payload, rid) {
    const failed = (e: unknown): void => {
      if (rid !== 0) link.fault(rid, e, name);
      else reportError(e, { actor: init.hostUrl, method: name, kind: 'internal' });
    };
    try {
      const answer = control(name, payload);
      if (answer instanceof Promise) {
        answer.then((v: unknown) => {
          if (rid !== 0) link.answer(rid, v, CONTROL);
        }, failed);
      } else if (rid !== 0) {
        link.answer(rid, answer, CONTROL);
      }
    } catch (e) {
      failed(e);
    }
  },

  report(_link, error, info) {
    reportError(decodeValue(error, { owner: null }), info);
  },
};

function control(name: string, payload: unknown): unknown {
  switch (name) {
    case 'spawn': {
      const p = payload as SpawnPayload;
      if (cells.has(p.id)) throw new AlreadyExistsError(`an actor with id '${p.id}' already exists on host ${init.hostUrl}`);
      const klass = loadClass({ file: p.file, exportName: p.exportName }, p.className);
      const args = decodeValue(p.args, { owner: null, timeout }) as unknown[];
      const made = spawnCell({ id: p.id, url: p.url, klass, source: p.file, args, hostAddress, ended: actorEnded }, timeout);
      return made instanceof Promise ? made.then(placeSpawned) : placeSpawned(made);
    }
    case 'stop': {
      const p = payload as StopPayload;
      return unplaceLocal(p.id)?.stop(p.reason) ?? null;
    }
    case 'quiesce': {
      // every actor of this worker handles what it can handle now (see ActorCell.quiesce)
      return Promise.all([...cells.values()].map((c) => c.quiesce())).then((waited) => waited.some(Boolean));
    }
    case 'connect': {
      const p = payload as ConnectPayload;
      addPeer(p.index, p.port);
      return null;
    }
    case 'peerDown': {
      const p = payload as PeerDownPayload;
      const link = peers.get(p.index);
      if (link !== undefined) peerGone(p.index, link, p.message);
      for (const id of p.ids) forget(id);
      return null;
    }
    case 'unplace': {
      forget((payload as UnplacePayload).id);
      return null;
    }
    default:
      throw new HostDownError(`unknown control message '${name}' for a worker of ${init.hostUrl}`);
  }
}

/** A spawned actor (its `onStart` done) becomes reachable by id and handle. */
function placeSpawned(actor: SpawnedActor): SpawnAnswer {
  const handle = ++lastHandle;
  const id = actor.cell!.id;
  cells.set(id, actor.cell!);
  byHandle.set(handle, actor.cell!);
  handles.set(id, handle);
  return { handle };
}

/** Forgets an actor of this worker (it was stopped, or stopped by itself); returns its cell. */
function unplaceLocal(id: string): ActorCell | undefined {
  const cell = cells.get(id);
  const handle = handles.get(id);
  cells.delete(id);
  handles.delete(id);
  if (handle !== undefined) {
    byHandle.delete(handle);
    stopped.set(handle, id);
    if (stopped.size > 4096) stopped.delete(stopped.keys().next().value!);
  }
  cancelTimersOf(init.hostBase + id);
  return cell;
}

/** SpawnRequest.ended: an actor of this worker stopped by itself; the main thread frees its id and tells its watchers. */
function actorEnded(id: string, channel: ActorChannel, reason: StopReason): void {
  if (cells.get(id) !== channel) return;
  unplaceLocal(id);
  main.notify('ended', { id, reason } satisfies EndedPayload);
}

/**
 * An actor of another worker ended (stopped, or its worker died): the route to it is
 * dropped (the next message asks the main thread again, which knows it no more, or knows
 * where an actor spawned since with that id lives), and this thread's timers aimed at it end.
 */
function forget(id: string): void {
  const r = routes.get(id);
  routes.delete(id);
  if (r instanceof LinkChannel) r.alive = false;
  cancelTimersOf(init.hostBase + id);
}

function addPeer(index: number, port: MessagePort): void {
  const link = new Link(port, handler, timeout, `worker thread ${index} of ${init.hostUrl}`);
  port.on('message', (batch: unknown[]) => link.receive(batch));
  port.on('close', () => peerGone(index, link, `worker thread ${index} of host ${init.hostUrl} is gone`));
  peers.set(index, link);
}

function peerGone(index: number, link: Link, message: string): void {
  link.fail(new HostDownError(message));
  if (peers.get(index) === link) peers.delete(index);
}

const main = new Link(parentPort!, handler, timeout, 'the main thread');
parentPort!.on('message', (batch: unknown[]) => main.receive(batch));
for (const p of init.peers) addPeer(p.index, p.port);

/** Messages for the main thread's router: the Host actor, other hosts, network transports. */
class MainRoute implements ActorChannel {
  readonly alive = true;
  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    const encoded = encodeArgs(target, method, args, reply);
    if (encoded === null) return;
    if (reply === null) main.routeTell(target.url, wireDesc(target.desc), method, encoded);
    else main.routeAsk(target.url, wireDesc(target.desc), method, encoded, reply);
  }
}
const mainRoute = new MainRoute();

/**
 * An actor of this host whose worker is not known yet: messages wait here, in order, while
 * the main thread is asked where it lives; then they go on, and the route is remembered.
 */
class PendingRoute implements ActorChannel {
  alive = true;
  /** target, method, encoded args, reply; four slots per message */
  private queue: unknown[] = [];
  private next: ActorChannel | null = null;
  private failure: Error | null = null;

  constructor(private readonly id: string) {
    main.call('locate', { id }).then(
      (answer) => this.settle(answer as LocateAnswer),
      (e: unknown) => this.fail(toError(e)),
    );
  }

  send(target: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
    if (this.next !== null) {
      this.next.send(target, method, args, reply);
      return;
    }
    if (this.failure !== null) {
      failMessage(target, method, reply, this.failure);
      return;
    }
    const encoded = encodeArgs(target, method, args, reply);
    if (encoded !== null) this.queue.push(target, method, encoded, reply);
  }

  private settle(answer: LocateAnswer): void {
    if (answer.where === 'none') {
      this.fail(new NotFoundError(`no actor '${this.id}' on host ${init.hostBase}; spawn it first or check the id`));
      return;
    }
    const q = this.queue;
    this.queue = [];
    this.alive = false;
    if (answer.index === init.index) {
      const cell = cells.get(this.id);
      if (cell === undefined) {
        this.fail(new NotFoundError(`no actor '${this.id}' on host ${init.hostBase}; it was stopped`), q);
        return;
      }
      this.next = cell;
      if (routes.get(this.id) === this) routes.delete(this.id);
      for (let i = 0; i < q.length; i += 4) {
        const args = decodeValue(q[i + 2], { owner: cell, timeout }) as unknown[];
        cell.send(q[i] as ActorAddress, q[i + 1] as string, args, q[i + 3] as Reply | null);
      }
      return;
    }
    const link = peers.get(answer.index);
    if (link === undefined) {
      this.fail(new HostDownError(`worker thread ${answer.index} of host ${init.hostUrl} is gone`), q);
      return;
    }
    const ch = new LinkChannel(link, answer.handle);
    this.next = ch;
    if (routes.get(this.id) === this) routes.set(this.id, ch);
    for (let i = 0; i < q.length; i += 4)
      ch.sendEncoded(q[i] as ActorAddress, q[i + 1] as string, q[i + 2] as unknown[], q[i + 3] as Reply | null);
  }

  private fail(error: Error, q: unknown[] = this.queue): void {
    this.failure = error;
    this.alive = false;
    this.queue = [];
    if (routes.get(this.id) === this) routes.delete(this.id);
    for (let i = 0; i < q.length; i += 4) failMessage(q[i] as ActorAddress, q[i + 1] as string, q[i + 3] as Reply | null, error);
  }
}

router.fallback = (addr) => {
  if (addr.base !== init.hostBase) {
    // a host an actor created inside this worker is served here; any other through the main thread
    return router.hosts.has(addr.base) ? null : mainRoute;
  }
  if (addr.id === '' || addr.id === init.hostId) return mainRoute;
  const cell = cells.get(addr.id);
  if (cell !== undefined) return cell;
  const known = routes.get(addr.id);
  if (known !== undefined && known.alive) return known;
  const pending = new PendingRoute(addr.id);
  routes.set(addr.id, pending);
  return pending;
};

setErrorHandler((error, info) => main.report(error, info));
setWatchForwarder((op, watched, watcher) => {
  main.notify(op, { id: watcher.id, url: watched.url, desc: wireDesc(watched.desc) } satisfies WatchPayload);
});

/**
 * The 'threads' runtime: the actors of a host live on a pool of worker threads (one per
 * core unless `createHost(url, { threads: n })` says otherwise), each actor pinned to the
 * worker it was spawned on (round robin). The Host actor stays on the main thread.
 *
 * Workers start when the first actor is placed on them. Each worker has a link (batched
 * messages, see ./link) to the main thread and one to every other worker of the pool, so
 * actors on two workers talk directly; the main thread answers 'locate' questions and runs
 * everything that is not a threads actor of this host (the Host, other hosts, transports).
 */
import { MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  HostDownError,
  HostError,
  NotFoundError,
  decodeValue,
  deathWatch,
  encodeValue,
  getActorDefinition,
  internDescription,
  reportError,
  router,
  splitUrl,
  toError,
  type ActorAddress,
  type HostBinding,
  type Runtime,
  type RuntimePlugin,
  type SpawnRequest,
  type SpawnedActor,
  type StopReason,
  observing,
  telemetryOptions,
} from '@tsactor/core/internal';
import { locateClass } from './class-locator';
import { Link, LinkChannel, LinkReply, encodeOptions, type LinkHandler, type ReportInfo } from './link';
import type {
  EndedPayload,
  LocateAnswer,
  LocatePayload,
  PeerDownPayload,
  SpawnAnswer,
  SpawnPayload,
  StopPayload,
  WatchPayload,
  WorkerInit,
} from './messages';
import { isThreadsWorker } from './worker-state';

/** the plain-JavaScript shim every worker starts with (see boot/worker.js) */
const BOOT = path.join(__dirname, '..', 'boot', 'worker.js');
/** '.ts' when this runtime runs from its TypeScript sources (jest, ts-node on src), '.js' when compiled */
const OWN_EXT = path.extname(__filename);
const MAX_THREADS = 256;

/** What boot/worker.js is told. */
export interface BootConfig {
  /** the worker entry module */
  readonly entry: string;
  /** running from sources: 'tsactor' and '@tsactor/*' resolve to <packagesDir>/<name>/src */
  readonly packagesDir: string | null;
  /** where transpiled TypeScript is cached (null: no cache) */
  readonly cacheDir: string | null;
  /** write stdout/stderr synchronously to the process's descriptors */
  readonly syncStdio: boolean;
}

function transpileCacheDir(): string | null {
  const env = process.env.TSACTOR_TS_CACHE;
  if (env === '0' || env === 'false') return null;
  if (env !== undefined && env !== '') return path.resolve(env);
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  return path.join(os.tmpdir(), `tsactor-ts-cache-${user}`);
}

let bootConfig: BootConfig | undefined;

/** Flags of the main thread that Node refused for workers (e.g. --expose-gc): left out of their execArgv. */
const refusedFlags = new Set<string>();

/**
 * Starts a worker with the main thread's flags, leaving out those Node does not accept in
 * workers (it names them in ERR_WORKER_INVALID_EXEC_ARGV).
 */
function startWorker(file: string, options: WorkerOptions): Worker {
  for (;;) {
    try {
      return new Worker(file, { ...options, execArgv: workerExecArgv() });
    } catch (e) {
      const m = (e as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((e as Error).message) : null;
      const flags = m === null ? [] : m[1]!.split(/[\s,]+/).filter((f) => f !== '' && !refusedFlags.has(f));
      if (flags.length === 0) throw e;
      for (const f of flags) refusedFlags.add(f.split('=', 1)[0]!);
    }
  }
}

/**
 * The main thread's execArgv without ts-node's require hooks: workers load TypeScript with
 * their own cached transpiler (boot/worker.js), which starts much faster than ts-node.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  const refused = (a: string): boolean => refusedFlags.has(a.split('=', 1)[0]!);
  const isTsNode = (m: string): boolean => /^ts-node\/register(\/transpile-only)?(\.js)?$/.test(m);
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if ((a === '-r' || a === '--require') && i + 1 < execArgv.length && isTsNode(execArgv[i + 1]!)) {
      i++;
      continue;
    }
    if (a.startsWith('--require=') && isTsNode(a.slice('--require='.length))) continue;
    if (refused(a)) continue;
    out.push(a);
  }
  return out;
}

/** How this process boots its workers (what boot/worker.js is given), for diagnostics. */
export function getBootConfig(): BootConfig {
  return (bootConfig ??= {
    entry: path.join(__dirname, `worker-entry${OWN_EXT}`),
    packagesDir: OWN_EXT === '.ts' ? path.resolve(__dirname, '..', '..') : null,
    cacheDir: transpileCacheDir(),
    syncStdio: true,
  });
}

/** One worker of the pool. */
class Slot {
  /** ids of the actors placed on it */
  readonly actors = new Set<string>();
  alive = true;
  /** true once it has posted a message (a worker that dies before, e.g. at boot, is not replaced at once) */
  answered = false;
  /** the uncaught error it died of, if any */
  error: Error | null = null;
  /** a 'quiesce' call under way, shared by all the actors of the worker */
  quiescing: Promise<boolean> | null = null;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    readonly link: Link,
  ) {}
}

interface Placement {
  readonly slot: Slot;
  readonly channel: LinkChannel;
}

function handleOf(answer: unknown): number {
  const h = (answer as Partial<SpawnAnswer> | null)?.handle;
  if (typeof h !== 'number') throw new HostError('a worker answered a spawn without a handle', { code: 'MALFORMED' });
  return h;
}

function listIds(ids: string[]): string {
  if (ids.length === 0) return 'no actors';
  const shown = ids.slice(0, 10).map((id) => `'${id}'`);
  return `${ids.length === 1 ? 'actor' : 'actors'} ${shown.join(', ')}${ids.length > 10 ? ` and ${ids.length - 10} more` : ''}`;
}

export class ThreadRuntime implements Runtime, LinkHandler {
  /** the number of workers of the pool */
  readonly size: number;
  private readonly slots: Array<Slot | null>;
  private readonly placed = new Map<string, Placement>();
  private nextSlot = 0;
  private closed = false;
  private readonly timeout: number | null;

  constructor(private readonly host: HostBinding) {
    if (isThreadsWorker()) {
      throw new HostError(
        `createHost(${host.url}) was called inside a worker thread of the 'threads' runtime, most likely by a module loaded there for its actor class; ` +
          `keep the program's entry behind 'if (require.main === module) main();'`,
        { code: 'HOST_IN_WORKER' },
      );
    }
    const n = host.options.threads;
    if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= MAX_THREADS)) {
      throw new HostError(
        `createHost: options.threads must be a whole number of worker threads from 1 to ${MAX_THREADS}, got ${String(n)}`,
        {
          code: 'BAD_OPTION',
        },
      );
    }
    this.size = n ?? Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
    this.slots = new Array<Slot | null>(this.size).fill(null);
    this.timeout = host.options.timeout ?? 10;
  }

  /** The worker slot an actor of this host lives on (for tests and diagnostics), or undefined. */
  workerOf(id: string): number | undefined {
    return this.placed.get(id)?.slot.index;
  }

  /** The thread id of each worker started for the current slots (-1 once it has exited), for tests and diagnostics. */
  workerThreadIds(): number[] {
    return this.slots.filter((s): s is Slot => s !== null).map((s) => s.worker.threadId);
  }

  async spawn(req: SpawnRequest): Promise<SpawnedActor> {
    if (this.closed) throw new HostDownError(`host ${this.host.url} is shut down`);
    const def = getActorDefinition(req.klass);
    const loc = locateClass(req.klass, req.source);
    const args = encodeValue(req.args, { refs: true, where: `${def.name} constructor` });
    const slot = this.pick();
    const payload: SpawnPayload = { id: req.id, url: req.url, file: loc.file, exportName: loc.exportName, className: def.name, args };
    const handle = handleOf(await slot.link.call('spawn', payload));
    const channel = new LinkChannel(slot.link, handle);
    slot.actors.add(req.id);
    this.placed.set(req.id, { slot, channel });
    return { channel, desc: def, cell: null, stop: (reason) => this.stop(req.id, reason), quiesce: () => this.quiesce(slot) };
  }

  /**
   * Lets the actors of a worker handle what was sent to them before a shutdown: one call per
   * worker (it follows every message the main thread sent there), answered once none of its
   * actors has work it can do now; true when the worker had to wait.
   */
  private quiesce(slot: Slot): Promise<boolean> {
    if (!slot.alive || this.closed) return Promise.resolve(false);
    return (slot.quiescing ??= slot.link.call('quiesce', null).then(
      (waited) => {
        slot.quiescing = null;
        return waited === true;
      },
      () => {
        slot.quiescing = null;
        return false;
      },
    ));
  }

  private pick(): Slot {
    const i = this.nextSlot;
    this.nextSlot = (i + 1) % this.size;
    const slot = this.slots[i];
    if (slot !== null && slot !== undefined && slot.alive) return slot;
    const started = this.start(i);
    this.slots[i] = started;
    return started;
  }

  private start(index: number): Slot {
    const peers: Array<{ index: number; port: MessagePort }> = [];
    for (const s of this.slots) {
      if (s === null || !s.alive) continue;
      const { port1, port2 } = new MessageChannel();
      s.link.notify('connect', { index, port: port1 }, [port1]);
      peers.push({ index: s.index, port: port2 });
    }
    const init: WorkerInit = {
      index,
      hostUrl: this.host.url,
      hostBase: this.host.base,
      hostId: this.host.id,
      timeout: this.timeout,
      peers,
      observe: observing.on ? { telemetry: telemetryOptions() !== null, setup: telemetryOptions()?.workerSetup ?? null } : null,
    };
    const worker = startWorker(BOOT, {
      workerData: { tsactorBoot: getBootConfig(), init },
      transferList: peers.map((p) => p.port),
    });
    // the pool does not keep the process alive by itself; pending asks do (onBusy)
    worker.unref();
    const link = new Link(worker, this, this.timeout, `worker thread ${index} of ${this.host.url}`);
    const slot = new Slot(index, worker, link);
    link.onBusy = (busy) => {
      if (!slot.alive) return;
      if (busy) worker.ref();
      else worker.unref();
    };
    worker.on('message', (batch: unknown[]) => link.receive(batch));
    worker.once('message', () => {
      slot.answered = true;
    });
    worker.on('error', (e: Error) => {
      slot.error ??= e;
    });
    worker.on('exit', (code: number) => this.exited(slot, code));
    return slot;
  }

  /**
   * A worker died: asks pending on it reject with HostDownError, its actors are forgotten
   * (the host frees their ids and cancels the timers aimed at them; later messages to them
   * fail with NotFoundError), the other workers drop their routes to them, the death is
   * reported once, and a fresh worker takes the slot.
   */
  private exited(slot: Slot, code: number): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (this.closed) return;
    const why =
      slot.error !== null
        ? `an uncaught ${slot.error.name || 'error'}: ${slot.error.message}`
        : `it exited with code ${code}, e.g. through process.exit()`;
    const ids = [...slot.actors];
    slot.actors.clear();
    const error = new HostDownError(
      `worker thread ${slot.index} of host ${this.host.url} died (${why}); ${listIds(ids)} on it ${ids.length === 1 ? 'is' : 'are'} gone: ` +
        `calls pending on them failed with HostDownError, later calls fail with NotFoundError, and their ids are free to spawn again`,
      slot.error !== null ? { cause: slot.error } : undefined,
    );
    slot.link.fail(error);
    for (const id of ids) {
      const p = this.placed.get(id);
      if (p === undefined || p.slot !== slot) continue;
      this.placed.delete(id);
      p.channel.alive = false;
      this.host.lost(id, p.channel);
    }
    const down: PeerDownPayload = { index: slot.index, message: error.message, ids };
    for (const s of this.slots) {
      if (s !== null && s.alive) s.link.notify('peerDown', down);
    }
    reportError(error, { actor: this.host.url, method: `worker thread ${slot.index}`, kind: 'internal' });
    // one that never answered (e.g. it could not load its entry) is started again by the next spawn on its slot, not in a loop
    if (slot.answered && this.slots[slot.index] === slot) this.slots[slot.index] = this.start(slot.index);
  }

  private stop(id: string, reason: StopReason): Promise<void> | void {
    const p = this.placed.get(id);
    if (p === undefined) return;
    this.unplace(id, p);
    if (!p.slot.alive) return;
    const payload: StopPayload = { id, reason };
    if (reason === 'shutdown') {
      p.slot.link.notify('stop', payload);
      return;
    }
    return p.slot.link.call('stop', payload).then(
      () => undefined,
      () => undefined, // the worker died meanwhile: the actor is gone anyway
    );
  }

  /** Forgets where an actor lives (it stopped); the other workers drop their routes to it. */
  private unplace(id: string, p: Placement): void {
    this.placed.delete(id);
    p.slot.actors.delete(id);
    p.channel.alive = false;
    if (!p.slot.alive || this.closed) return;
    for (const s of this.slots) {
      if (s !== null && s.alive && s !== p.slot) s.link.notify('unplace', { id });
    }
  }

  /** A worker says one of its actors stopped by itself (supervision): the host frees its id and tells its watchers. */
  private ended(link: Link, payload: EndedPayload): void {
    const p = this.placed.get(payload.id);
    if (p === undefined || p.slot.link !== link) return;
    this.unplace(payload.id, p);
    this.host.lost(payload.id, p.channel, payload.reason);
  }

  /** An actor of a worker watches (or stops watching) another actor: the main thread keeps the watch. */
  private watchFor(link: Link, op: 'watch' | 'unwatch', payload: WatchPayload): void {
    const p = this.placed.get(payload.id);
    const t = p !== undefined && p.slot.link === link ? this.host.target(payload.id) : null;
    if (t === null) return;
    if (op === 'unwatch') {
      deathWatch.remove(payload.url, t.address.url);
      return;
    }
    try {
      const { base, id } = splitUrl(payload.url);
      deathWatch.add({ url: payload.url, base, id, desc: internDescription(payload.desc) }, { addr: t.address, from: this.host.base });
    } catch (e) {
      reportError(toError(e), { actor: t.address.url, method: 'watch', kind: 'internal' });
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new HostDownError(`the host ${this.host.url} was shut down before answering`);
    const workers: Worker[] = [];
    for (const s of this.slots) {
      if (s === null) continue;
      s.link.fail(error);
      if (s.alive) workers.push(s.worker);
      s.alive = false;
    }
    for (const p of this.placed.values()) p.channel.alive = false;
    this.placed.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  // ---- messages from the workers

  deliver(link: Link, handle: number, method: string, _args: unknown, rid: number): void {
    const e = new NotFoundError(`no actor #${handle} on the main thread of ${this.host.url} (${method}() not delivered)`);
    if (rid !== 0) link.fault(rid, e, method);
  }

  route(link: Link, url: string, desc: ActorDescription, method: string, args: unknown, rid: number): void {
    let addr: ActorAddress;
    let decoded: unknown[];
    try {
      const { base, id } = splitUrl(url);
      addr = { url, base, id, desc: internDescription(desc) };
      decoded = decodeValue(args, { owner: null, timeout: this.timeout }) as unknown[];
    } catch (e) {
      if (rid !== 0) link.fault(rid, e, method);
      else reportError(toError(e), { actor: url, method, kind: 'tell' });
      return;
    }
    const reply = rid === 0 ? null : new LinkReply(link, rid, encodeOptions(addr.desc, method));
    try {
      router.resolve(addr, this.host.base).send(addr, method, decoded, reply);
    } catch (e) {
      // a channel refused the message at once (e.g. a value its transport cannot carry)
      if (reply !== null) reply.reject(e);
      else reportError(toError(e), { actor: url, method, kind: 'tell' });
    }
  }

  call(link: Link, name: string, payload: unknown, rid: number): void {
    if (name === 'locate') {
      link.answer(rid, this.locate((payload as LocatePayload).id), { refs: false, where: 'locate' });
      return;
    }
    if (name === 'ended') {
      this.ended(link, payload as EndedPayload);
      return;
    }
    if (name === 'watch' || name === 'unwatch') {
      this.watchFor(link, name, payload as WatchPayload);
      return;
    }
    if (rid !== 0) link.fault(rid, new HostError(`unknown request '${name}' from a worker of ${this.host.url}`), name);
  }

  report(_link: Link, error: unknown, info: ReportInfo): void {
    reportError(decodeValue(error, { owner: null }), info);
  }

  private locate(id: string): LocateAnswer {
    const p = this.placed.get(id);
    if (p === undefined) return { where: 'none' };
    return { where: 'worker', index: p.slot.index, handle: p.channel.handle };
  }
}

type ActorDescription = ActorAddress['desc'];

/** The 'threads' runtime plugin (alias 'thread'). */
export const threadsRuntime: RuntimePlugin = {
  name: 'threads',
  aliases: ['thread'],
  create: (host) => new ThreadRuntime(host),
};

/**
 * The plugin registries: runtimes by context name, transports by URL scheme. Core imports
 * no runtime or transport; `tsactor` registers the built-in ones, and a third-party plugin
 * registers the same way.
 */
import { HostError } from '../errors';
import type { ActorAddress, ActorChannel } from '../channel';
import type { ActorDescription } from '../actor/metadata';
import type { ActorCell } from '../actor/cell';
import type { HostOptions } from './types';
import type { StopReason } from '../actor/options';

/** What a runtime is asked to create. */
export interface SpawnRequest {
  readonly id: string;
  readonly url: string;
  /** the actor class (already checked: a class with `@Tell`/`@Ask` methods) */
  readonly klass: Function;
  /** the file that exports the class, when known */
  readonly source: string | undefined;
  readonly args: unknown[];
  /** the address of the host, for the actor's `host` field */
  readonly hostAddress: ActorAddress;
  /**
   * called when the actor stops by itself (its class's supervision stopped it after a
   * failure); `channel` is what the runtime returned for it. A runtime whose actors live in
   * another thread passes its own, which tells the host through {@link HostBinding.lost}.
   */
  readonly ended?: (id: string, channel: ActorChannel, reason: StopReason) => void;
}

/** An actor created by a runtime. */
export interface SpawnedActor {
  /** delivers messages to the actor, in order */
  readonly channel: ActorChannel;
  readonly desc: ActorDescription;
  /** the cell, when the actor lives on this thread */
  readonly cell: ActorCell | null;
  /** stops the actor (see ActorCell.stop for what happens to queued messages) */
  stop(reason: StopReason): void | Promise<void>;
  /**
   * Resolves once the actor has handled the messages it can handle now (called before a
   * shutdown, so that messages sent before it are not lost); true when it had to wait.
   */
  quiesce?(): Promise<boolean>;
}

/** The runtime of one host: where its actors live and run. */
export interface Runtime {
  /** Creates an actor. Messages sent to the returned channel right away are kept in order. */
  spawn(req: SpawnRequest): SpawnedActor | Promise<SpawnedActor>;
  /** Stops everything the runtime started (workers, timers). */
  shutdown(): Promise<void>;
}

export interface RuntimePlugin {
  /** context name, e.g. 'async' */
  readonly name: string;
  /** other names for the same context, e.g. 'green_thread' */
  readonly aliases?: readonly string[];
  create(host: HostBinding): Runtime;
}

/** The view of a local host that runtimes and transports get. */
export interface HostBinding {
  readonly url: string;
  readonly base: string;
  readonly id: string;
  readonly options: Readonly<HostOptions>;
  readonly closed: boolean;
  /** the host's own address (its description is the Host actor's) */
  readonly address: ActorAddress;
  /** one of the host's actors, or the host itself for '' or its own id; null when there is none */
  target(id: string): { channel: ActorChannel; address: ActorAddress; cell: ActorCell | null } | null;
  /**
   * the actor `id`, reached through `channel`, ended without stopActor: its worker thread
   * died ('host-down', the default) or its supervision stopped it ('failed'). Its id is
   * freed, its timers cancelled, its watchers told.
   */
  lost(id: string, channel: ActorChannel, reason?: StopReason): void;
}

/** A host served over a network transport. */
export interface TransportServer {
  close(): Promise<void>;
  /** the underlying server object (e.g. a grpc.Server), for advanced use */
  unwrap?(): unknown;
}

export interface TransportPlugin {
  /** URL schemes served, e.g. ['grpc', 'grpcs'] */
  readonly schemes: readonly string[];
  /** Starts serving `host` at its URL. */
  listen(host: HostBinding): Promise<TransportServer>;
  /**
   * An outbound channel to the host at `base` (e.g. 'grpc://127.0.0.1:1277/') from the local
   * host `from` (null: code outside any host). It stays usable across reconnects; asks
   * pending while the peer is down reject with HostDownError.
   */
  connect(base: string, from: HostBinding | null): ActorChannel;
  /** Closes every outbound connection (called when the last host shuts down). */
  closeAll(): Promise<void>;
}

const runtimes = new Map<string, RuntimePlugin>();
const transports = new Map<string, TransportPlugin>();

/**
 * Registers a runtime under its context name and aliases, which setContext() and
 * TSACTOR_CONTEXT then accept. A name that another runtime has already is refused
 * (HostError, code 'CONTEXT_TAKEN'), and then none of the plugin's names is registered.
 */
export function registerRuntime(plugin: RuntimePlugin): void {
  const names = [plugin.name, ...(plugin.aliases ?? [])];
  for (const name of names) {
    const existing = runtimes.get(name);
    if (existing !== undefined && existing !== plugin) {
      throw new HostError(
        `a runtime is already registered for context '${name}'; give the runtime '${plugin.name}' another name or alias`,
        {
          code: 'CONTEXT_TAKEN',
        },
      );
    }
  }
  for (const name of names) runtimes.set(name, plugin);
}

/**
 * Registers a transport under its URL schemes. A scheme that another transport serves
 * already is refused (HostError, code 'SCHEME_TAKEN'), and then none of its schemes is registered.
 */
export function registerTransport(plugin: TransportPlugin): void {
  for (const scheme of plugin.schemes) {
    const existing = transports.get(scheme);
    if (existing !== undefined && existing !== plugin) {
      throw new HostError(`a transport is already registered for scheme '${scheme}://'`, { code: 'SCHEME_TAKEN' });
    }
  }
  for (const scheme of plugin.schemes) transports.set(scheme, plugin);
}

/** The runtime registered under `name` (a context name or alias); HostError UNKNOWN_CONTEXT when there is none. */
export function getRuntime(name: string): RuntimePlugin {
  const r = runtimes.get(name);
  if (r === undefined) {
    throw new HostError(
      `no runtime for context '${name}' (registered: ${registeredContexts()}); import 'tsactor', which registers 'async' and 'threads'`,
      { code: 'UNKNOWN_CONTEXT' },
    );
  }
  return r;
}

/** The runtime registered under `name` (a context name or alias), or undefined. */
export function findRuntime(name: string): RuntimePlugin | undefined {
  return runtimes.get(name);
}

export function hasRuntime(name: string): boolean {
  return runtimes.has(name);
}

/**
 * The registered contexts, each name with its aliases (for error messages), e.g.
 * `'async' (or 'green_thread'), 'threads' (or 'thread')`; 'none' when nothing is registered.
 */
export function registeredContexts(): string {
  const names: string[] = [];
  for (const plugin of new Set(runtimes.values())) {
    const aliases = plugin.aliases ?? [];
    names.push(aliases.length === 0 ? `'${plugin.name}'` : `'${plugin.name}' (or ${aliases.map((a) => `'${a}'`).join(', ')})`);
  }
  return names.length === 0 ? 'none' : names.join(', ');
}

export function getTransport(scheme: string): TransportPlugin | undefined {
  return transports.get(scheme);
}

export function allTransports(): TransportPlugin[] {
  return [...new Set(transports.values())];
}

export function transportSchemes(): string[] {
  return ['local', ...transports.keys()];
}

import type { Future } from '../future';
import type { Proxy } from '../actor/proxy';
import type { InspectorOptions } from '../observe/inspector-hook';

/** A class whose instances are actors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Class<T> = new (...args: any[]) => T;

/** Options of {@link createHost}. Times are in seconds. */
export interface HostOptions {
  /** default ask timeout in seconds (10) */
  timeout?: number;
  /** 'threads' context: worker pool size (default: one per core) */
  threads?: number;
  /** where remote spawn resolves 'module/Class' under remoteSpawn: 'load' (default process.cwd()) */
  moduleRoot?: string;
  /**
   * What a peer may spawn here: false nothing; 'registered' (the default) only `@Actor`
   * classes this process has already loaded, by class name or 'module/Class'; 'load'
   * also loads 'module/Class' from inside moduleRoot (PyActor's behaviour; `true` means
   * the same).
   */
  remoteSpawn?: boolean | 'registered' | 'load';
  /** whether peers may call stopActor on this host (default false) */
  remoteStop?: boolean;
  /** shared secret a peer must present (network transports) */
  token?: string;
  /**
   * TLS certificates (grpcs://), PEM text. With `ca`, peers must present a client
   * certificate signed by it (mutual TLS).
   */
  tls?: { cert: string; key: string; ca?: string };
  /**
   * Serve on a non-loopback address with neither a token nor TLS client certificates.
   * Without it such a host refuses to start (protected mode).
   */
  insecure?: boolean;
  /** send error stacks to peers that did not prove the token or a client certificate (default false) */
  exposeStacks?: boolean;
  /**
   * Serve the inspector, a live web page of this process's hosts and actors, on this port
   * of 127.0.0.1 (or `{ port, address }`: another address only for a host with a `token`,
   * which requests must then carry). Default: the environment variable TSACTOR_INSPECTOR
   * (a port, or address:port); false: none even when it is set.
   */
  inspector?: number | false | InspectorOptions;
}

/** A proxy to a host. The host is an actor too: its proxy can travel to other hosts. */
export interface HostProxy {
  /** Creates an actor of class `klass` (or 'module/Class') with id `id` on this host. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spawn<T = any>(id: string, klass: Class<T> | string, ...ctorArgs: unknown[]): Future<Proxy<T>>;
  /** A proxy to the actor `id` of this host; NotFoundError when there is none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lookup<T = any>(id: string): Future<Proxy<T>>;
  /**
   * A proxy to the actor at `url`, on this host or another one; a URL with no id gives that
   * host's proxy (type it as `lookupUrl<HostProxy>(url)`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lookupUrl<T = any>(url: string, klass?: Class<T> | string, module?: string): Future<LookedUp<T>>;
  /** True when an actor with that id lives on this host. */
  hasActor(id: string): Future<boolean>;
  /** Stops the actor and frees its id. */
  stopActor(id: string): Future<void>;
  getId(): string;
  getUrl(): string;
  equals(other: unknown): boolean;
  toString(): string;
  withTimeout(seconds: number | null): HostProxy;
}

/** What lookupUrl gives: a HostProxy for `lookupUrl<HostProxy>(url)`, else a Proxy of T. */
export type LookedUp<T> = 0 extends 1 & T ? Proxy<T> : [T] extends [HostProxy] ? HostProxy : Proxy<T>;

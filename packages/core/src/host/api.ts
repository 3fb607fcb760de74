/**
 * The process-level API: contexts, hosts, shutdown, serveForever and sleep.
 */
import { HostError } from '../errors';
import { splitUrl } from '../wire/codec';
import { setResolver } from '../actor/proxy';
import { findRuntime, getRuntime, getTransport, registeredContexts, transportSchemes } from './registry';
import { LocalHost } from './host';
import { router } from './router';
import type { HostOptions, HostProxy } from './types';
import { clock } from '../clock';
import { detectTelemetry } from '../observe/telemetry';
import { attachInspector, inspectorOptionsOf } from '../observe/inspector-hook';

setResolver(router.resolve);

/**
 * The name of a context: one of the built-in ones ('async', alias 'green_thread';
 * 'threads', alias 'thread') or the name or an alias of any runtime registered with
 * {@link registerRuntime}.
 */
export type ContextName = 'async' | 'threads' | 'green_thread' | 'thread' | (string & {});

const HOW_TO_REGISTER = "import 'tsactor' (which registers 'async' and 'threads') or register the runtime with registerRuntime()";

/** The context name of the runtime registered under `name` (a name or an alias). */
function resolveContext(name: string, what: string): string {
  const plugin = typeof name === 'string' ? findRuntime(name) : undefined;
  if (plugin === undefined) {
    throw new HostError(
      `${what} is not a registered context; registered: ${registeredContexts()}. Use one of those, or ${HOW_TO_REGISTER}`,
      {
        code: 'UNKNOWN_CONTEXT',
      },
    );
  }
  return plugin.name;
}

function contextFromEnv(): string | undefined {
  const v = process.env.TSACTOR_CONTEXT;
  if (v === undefined || v === '') return undefined;
  return resolveContext(v, `TSACTOR_CONTEXT='${v}'`);
}

let context = 'async';

/**
 * Chooses where the actors of hosts created from now on run: 'async' (alias
 * 'green_thread', the default) on the event loop, 'threads' (alias 'thread') on a pool of
 * worker threads, or any other runtime registered with {@link registerRuntime}, by its
 * name or an alias. An unknown name throws HostError (code 'UNKNOWN_CONTEXT') listing the
 * registered ones. The environment variable TSACTOR_CONTEXT, when set, overrides the choice
 * (to run a whole program under another runtime without editing it).
 */
export function setContext(name: ContextName = 'async'): void {
  const resolved = resolveContext(name, `context ${typeof name === 'string' ? `'${name}'` : String(name)}`);
  // a bad TSACTOR_CONTEXT is reported here, where the program chooses its context
  contextFromEnv();
  context = resolved;
}

/** The current context name ('async', 'threads', or that of another registered runtime). */
export function getContext(): string {
  return contextFromEnv() ?? context;
}

function hostByUrl(url: string): LocalHost | undefined {
  const { base } = splitUrl(url);
  return router.hosts.get(base);
}

/**
 * Creates a host at `url` (default 'local://local:6666/host') and returns its proxy. A
 * grpc://, grpcs:// or amqp:// URL serves the host over that transport.
 * @example
 * ```ts
 * const h = await createHost();
 * const e1 = await h.spawn('echo1', Echo);
 * e1.echo('hello there !!');
 * ```
 */
export async function createHost(url: string = 'local://local:6666/host', options: HostOptions = {}): Promise<HostProxy> {
  const ctx = getContext();
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i.test(url)) {
    throw new HostError(
      `cannot create a host at ${JSON.stringify(url)}: not a host URL; expected scheme://host:port/ (e.g. 'local://local:6666/host' or 'grpc://127.0.0.1:1277/')`,
      { code: 'BAD_URL' },
    );
  }
  const host = new LocalHost(url, { ...options }, ctx);
  const scheme = host.base.slice(0, host.base.indexOf(':'));
  const transport = scheme === 'local' ? undefined : getTransport(scheme);
  if (scheme !== 'local' && transport === undefined) {
    const hint = scheme === 'http' ? " (PyActor's http:// hosts are grpc:// hosts here)" : '';
    throw new HostError(
      `cannot create a host at ${url}: no transport for ${scheme}://${hint}; known schemes: ${transportSchemes().join(', ')}`,
      {
        code: 'UNKNOWN_SCHEME',
      },
    );
  }
  if (router.hosts.has(host.base)) {
    throw new HostError(`a host is already running at ${host.base}; shut it down first or use another URL`, { code: 'HOST_EXISTS' });
  }
  if (options.timeout !== undefined && !(options.timeout >= 0)) {
    throw new TypeError(`createHost: options.timeout must be a non-negative number of seconds, got ${String(options.timeout)}`);
  }
  const inspector = inspectorOptionsOf(options.inspector, url);
  detectTelemetry();
  host.runtime = getRuntime(ctx).create(host);
  router.hosts.set(host.base, host);
  router.closed.delete(host.base);
  if (transport !== undefined) {
    try {
      host.server = await transport.listen(host);
    } catch (e) {
      router.hosts.delete(host.base);
      host.closed = true;
      await host.runtime.shutdown().catch(() => undefined);
      throw e instanceof HostError ? e : new HostError(`cannot serve the host at ${url}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (inspector !== null) {
    try {
      const handle = await attachInspector(host, inspector);
      // the host's timers are cancelled when it shuts down: the inspector is let go with them
      host.timers.add({ cancel: () => void handle.detach() });
    } catch (e) {
      await host.close().catch(() => undefined);
      throw e;
    }
  }
  return host.proxy() as unknown as HostProxy;
}

/** The main host: the oldest one still running, or null. */
export function getHost(): HostProxy | null {
  const h = router.mainHost();
  return h === undefined ? null : (h.proxy() as unknown as HostProxy);
}

/** @internal the LocalHost of a URL (or the main one) */
export function getLocalHost(url?: string): LocalHost | undefined {
  return url === undefined ? router.mainHost() : hostByUrl(url);
}

/**
 * Shuts down the host at `url`, or every host. Its actors stop; calls to the host then
 * reject with HostError, calls to its actors with HostDownError.
 */
export async function shutdown(url?: string): Promise<void> {
  let hosts: LocalHost[];
  if (url === undefined) {
    hosts = [...router.hosts.values()];
  } else {
    const h = hostByUrl(url);
    if (h === undefined) throw new HostError(`no host is running at ${url}`, { code: 'NO_HOST' });
    hosts = [h];
  }
  const results = await Promise.allSettled(hosts.map((h) => h.close()));
  if (router.hosts.size === 0) await router.closeOutbound();
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0)
    throw failed.length === 1
      ? failed[0]!.reason
      : new AggregateError(
          failed.map((f): unknown => f.reason),
          'errors while shutting down',
        );
}

/**
 * Keeps the process serving until SIGINT or SIGTERM, then shuts every host down and
 * resolves. Prints 'Press Ctrl+C to kill the execution'.
 */
export function serveForever(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearInterval(keepAlive);
      shutdown().then(resolve, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // printed once the handlers are in place: whoever acts on the message (a user, a
    // supervising script) may signal at once
    process.stdout.write('Press Ctrl+C to kill the execution\n');
  });
}

/** Waits `seconds` (floats allowed). */
export function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, Math.max(0, seconds * 1000));
  });
}

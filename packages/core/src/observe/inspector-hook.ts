/**
 * The hook through which a host starts an inspector. Core does not depend on the
 * inspector: `@tsactor/inspector` (registered by `tsactor`, lazily) plugs in here, the way
 * runtimes and transports register.
 */
import { HostError } from '../errors';
import type { HostBinding } from '../host/registry';

/** Where an inspector serves (HostOptions.inspector). */
export interface InspectorOptions {
  /** the TCP port (0: any free port) */
  readonly port: number;
  /**
   * the address to listen on (default '127.0.0.1'); another address than loopback only
   * for a host with a `token`, which every request must then carry
   */
  readonly address?: string;
}

/** A running inspector, as the host that started it sees it. */
export interface InspectorHandle {
  /** the URL of its page (with the token when requests need one) */
  readonly url: string;
  /** the host no longer uses it (the inspector stops with the last of its hosts) */
  detach(): Promise<void>;
}

/** What plugs an inspector in. */
export interface InspectorPlugin {
  /** Starts (or joins) the inspector at `options` for `host`. */
  attach(host: HostBinding, options: InspectorOptions): Promise<InspectorHandle>;
}

let plugin: InspectorPlugin | null = null;

/** Registers the inspector that `createHost(url, { inspector })` starts (the last one registered wins). */
export function registerInspector(p: InspectorPlugin): void {
  const given = p as unknown;
  if (given === null || typeof given !== 'object' || typeof (given as Partial<InspectorPlugin>).attach !== 'function') {
    throw new TypeError(`registerInspector(plugin): expected an object with attach(host, options), got ${typeof given}`);
  }
  plugin = p;
}

/**
 * @internal The inspector options of a host: its `inspector` option, else the environment
 * variable TSACTOR_INSPECTOR (a port, or address:port); null when it has none.
 */
export function inspectorOptionsOf(option: number | false | InspectorOptions | undefined, url: string): InspectorOptions | null {
  if (option === false) return null;
  if (option === undefined) {
    const env = process.env.TSACTOR_INSPECTOR;
    if (env === undefined || env === '') return null;
    const m = /^(?:(.+):)?(\d+)$/.exec(env);
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || !(port >= 0 && port <= 65535)) {
      throw new HostError(`TSACTOR_INSPECTOR='${env}' is not a port (e.g. 7070) or address:port (e.g. 0.0.0.0:7070)`, {
        code: 'BAD_OPTION',
      });
    }
    return m[1] === undefined ? { port } : { port, address: m[1] };
  }
  const opts = (typeof option === 'number' ? { port: option } : option) as InspectorOptions | null;
  if (opts === null || typeof opts !== 'object' || !Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new HostError(
      `createHost('${url}', { inspector }): expected a port (e.g. 7070) or { port, address }, got ${JSON.stringify(option)}`,
      { code: 'BAD_OPTION' },
    );
  }
  if (opts.address !== undefined && (typeof opts.address !== 'string' || opts.address === '')) {
    throw new HostError(`createHost('${url}', { inspector }): the address must be a non-empty string`, { code: 'BAD_OPTION' });
  }
  return opts;
}

/** @internal starts the inspector of a host; HostError INSPECTOR_UNAVAILABLE when none is registered */
export function attachInspector(host: HostBinding, options: InspectorOptions): Promise<InspectorHandle> {
  if (plugin === null) {
    return Promise.reject(
      new HostError(
        `host ${host.url} asks for an inspector, but none is registered: import 'tsactor' (which registers '@tsactor/inspector'), or install '@tsactor/inspector' and import it`,
        { code: 'INSPECTOR_UNAVAILABLE' },
      ),
    );
  }
  return plugin.attach(host, options);
}

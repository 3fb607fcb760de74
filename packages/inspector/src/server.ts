/**
 * The inspector's HTTP server: the page, its state as JSON, and server-sent events that
 * push a new snapshot every half second (and at once after a failure or a restart). One
 * server per address and port, shared by the hosts of the process that ask for it; it
 * stops with the last of them.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HostError,
  isLoopback,
  onObservedEvent,
  startStats,
  tokenMatches,
  type HostBinding,
  type InspectorHandle,
  type InspectorOptions,
} from '@tsactor/core/internal';
import { PAGE } from './page';
import { Snapshotter, type Snapshot } from './snapshot';

/** How often a snapshot is pushed (ms). */
const TICK_MS = 500;
/** The most event streams served at once. */
const MAX_CLIENTS = 32;

const servers = new Map<string, InspectorServer>();

/** A running inspector. */
class InspectorServer {
  readonly hosts = new Set<HostBinding>();
  private readonly clients = new Set<http.ServerResponse>();
  private readonly snapshots = new Snapshotter();
  private last: Snapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private readonly stopEvents: () => void;
  url = '';

  constructor(
    readonly key: string,
    readonly address: string,
    readonly token: string | null,
    private readonly server: http.Server,
  ) {
    server.on('request', (req, res) => this.handle(req, res));
    // a failure or a restart shows at once, not at the next tick
    this.stopEvents = onObservedEvent(() => {
      if (this.clients.size > 0 && this.soon === null) {
        this.soon = setTimeout(() => {
          this.soon = null;
          this.push();
        }, 20);
      }
    });
  }

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    if (this.token === null) return true;
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') === true ? header.slice(7) : (url.searchParams.get('token') ?? '');
    return tokenMatches(given, this.token);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://inspector');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end('only GET\n');
      return;
    }
    if (!this.authorized(req, url)) {
      res
        .writeHead(401, { 'Content-Type': 'text/plain' })
        .end("this inspector needs the host's token: add ?token=<token> to the address\n");
      return;
    }
    switch (url.pathname) {
      case '/':
        res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      case '/state':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.last ?? this.take()));
        return;
      case '/events':
        this.stream(res);
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }

  private stream(res: http.ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`at most ${MAX_CLIENTS} pages at once\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0 && this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
      }
    });
    res.write(`data: ${JSON.stringify(this.last ?? this.take())}\n\n`);
    if (this.timer === null) {
      this.timer = setInterval(() => this.push(), TICK_MS);
      this.timer.unref();
    }
  }

  private take(): Snapshot {
    this.last = this.snapshots.take();
    return this.last;
  }

  private push(): void {
    if (this.clients.size === 0) return;
    const data = `data: ${JSON.stringify(this.take())}\n\n`;
    for (const c of this.clients) c.write(data);
  }

  async close(): Promise<void> {
    servers.delete(this.key);
    this.stopEvents();
    if (this.timer !== null) clearInterval(this.timer);
    if (this.soon !== null) clearTimeout(this.soon);
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts (or joins) the inspector at `options` for `host`. */
export async function attach(host: HostBinding, options: InspectorOptions): Promise<InspectorHandle> {
  const address = options.address ?? '127.0.0.1';
  const token = host.options.token ?? null;
  if (!isLoopback(address) && token === null) {
    throw new HostError(
      `host ${host.url}: the inspector serves on ${address} only for a host with a token (requests must carry it); give the host { token } or serve the inspector on 127.0.0.1`,
      { code: 'INSPECTOR_UNPROTECTED' },
    );
  }
  const key = `${address}:${options.port}`;
  let s = servers.get(key);
  if (s === undefined || options.port === 0) {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new HostError(`host ${host.url}: the inspector cannot listen on ${address}:${options.port}: ${e.message}`, {
            code: e.code === 'EADDRINUSE' ? 'ADDRESS_IN_USE' : 'INSPECTOR_FAILED',
            cause: e,
          }),
        ),
      );
      server.listen(options.port, address, () => resolve());
    });
    server.unref();
    const port = (server.address() as AddressInfo).port;
    s = new InspectorServer(`${address}:${port}`, address, isLoopback(address) ? null : token, server);
    const shown = address.includes(':') ? `[${address}]` : address;
    s.url = `http://${shown}:${port}/`;
    servers.set(s.key, s);
    startStats();
  } else if (s.token !== null && s.token !== token) {
    throw new HostError(`host ${host.url}: the inspector at ${s.url} belongs to hosts with another token; use another port`, {
      code: 'INSPECTOR_FAILED',
    });
  }
  const server = s;
  server.hosts.add(host);
  return {
    url: server.url,
    detach: async () => {
      server.hosts.delete(host);
      if (server.hosts.size === 0) await server.close();
    },
  };
}

/** The addresses of the inspectors running in this process. */
export function inspectorUrls(): string[] {
  return [...servers.values()].map((s) => s.url);
}

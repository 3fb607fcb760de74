/**
 * Which RabbitMQ broker amqp:// hosts use: TSACTOR_AMQP_URL (default
 * amqp://guest:guest@127.0.0.1:5672), with the user and password replaced by
 * setRabbitCredentials(user, password) when it was called. Also the error messages for a
 * broker that cannot be reached or refuses the credentials; they name the broker by its
 * address and user, never by its password.
 */
import type { Options } from 'amqplib';
import { HostDownError, HostError, toError } from '@tsactor/core/internal';

/** The broker used when TSACTOR_AMQP_URL is not set. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Seconds to wait for the broker to accept a connection before giving up (TSACTOR_AMQP_CONNECT_TIMEOUT overrides). */
export const DEFAULT_CONNECT_TIMEOUT = 5;

/** Seconds between AMQP heartbeats: a silent broker connection is dropped after about two of them. */
export const DEFAULT_HEARTBEAT = 5;

let credentials: { user: string; password: string } | null = null;

/**
 * Sets the RabbitMQ user and password of amqp:// hosts (PyActor's set_rabbit_credentials).
 * They replace the ones in TSACTOR_AMQP_URL (or the default guest/guest) for connections
 * opened afterwards: call it before creating amqp:// hosts.
 * @example
 * ```ts
 * setRabbitCredentials('daniel', 'pass');
 * const host = await createHost('amqp://127.0.0.1:1679/');
 * ```
 */
export function setRabbitCredentials(user: string, password: string): void {
  if (typeof user !== 'string' || user === '') {
    throw new TypeError(`setRabbitCredentials(user, password): user must be a non-empty string, got ${JSON.stringify(user)}`);
  }
  if (typeof password !== 'string') {
    throw new TypeError(`setRabbitCredentials(user, password): password must be a string, got ${typeof password}`);
  }
  credentials = { user, password };
}

/** @internal forgets the credentials given to setRabbitCredentials (tests). */
export function resetRabbitCredentials(): void {
  credentials = null;
}

/** A resolved broker configuration. */
export interface BrokerConfig {
  /** what amqplib connects with */
  readonly connect: Options.Connect;
  /** the broker as shown in messages: scheme://user@host:port[/vhost], no password */
  readonly display: string;
  readonly user: string;
  readonly password: string;
  readonly vhost: string;
  /** identifies the connection (same key: same connection) */
  readonly key: string;
  /** seconds */
  readonly connectTimeout: number;
}

function connectTimeoutFromEnv(): number {
  const raw = process.env.TSACTOR_AMQP_CONNECT_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_CONNECT_TIMEOUT;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new HostError(`TSACTOR_AMQP_CONNECT_TIMEOUT='${raw}' is not a positive number of seconds`, { code: 'BAD_BROKER_URL' });
  }
  return n;
}

/** Hides the password of a URL-like string. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i, '$1$2:***@');
}

/** The broker configuration in force now (TSACTOR_AMQP_URL and setRabbitCredentials). */
export function brokerConfig(): BrokerConfig {
  const raw = process.env.TSACTOR_AMQP_URL || DEFAULT_AMQP_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HostError(`TSACTOR_AMQP_URL='${redactUrl(raw)}' is not a URL; expected amqp://user:password@host:5672[/vhost]`, {
      code: 'BAD_BROKER_URL',
    });
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') {
    throw new HostError(`TSACTOR_AMQP_URL='${redactUrl(raw)}' must start with amqp:// or amqps://`, { code: 'BAD_BROKER_URL' });
  }
  const tls = u.protocol === 'amqps:';
  const urlUser = decodeURIComponent(u.username);
  const user = credentials?.user ?? (urlUser || 'guest');
  const password = credentials?.password ?? (urlUser ? decodeURIComponent(u.password) : 'guest');
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  const port = u.port ? Number(u.port) : tls ? 5671 : 5672;
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const hb = u.searchParams.get('heartbeat');
  const heartbeat = hb === null ? DEFAULT_HEARTBEAT : Number(hb);
  const display = `${u.protocol}//${encodeURIComponent(user)}@${u.host.includes(':') ? u.host : `${u.host}:${port}`}${vhost === '/' ? '' : `/${encodeURIComponent(vhost)}`}`;
  const connect: Options.Connect = {
    protocol: tls ? 'amqps' : 'amqp',
    hostname,
    port,
    username: user,
    password,
    vhost,
    heartbeat,
    frameMax: 131072,
  };
  return {
    connect,
    display,
    user,
    password,
    vhost,
    key: JSON.stringify([connect.protocol, hostname, port, vhost, user, password, heartbeat]),
    connectTimeout: connectTimeoutFromEnv(),
  };
}

/** Why a connection attempt failed, in words that say what to do. */
export function explainBrokerFailure(cfg: BrokerConfig, error: unknown): { message: string; code: string } {
  const e = toError(error);
  const raw = scrub(cfg, e.message);
  const errno = (e as { code?: unknown }).code;
  if (/ACCESS.REFUSED|403/.test(raw) && /login|auth|credential|ACCESS.REFUSED/i.test(raw)) {
    return {
      code: 'BROKER_AUTH',
      message: `the RabbitMQ broker at ${cfg.display} refused the credentials of user '${cfg.user}' (${raw}); give the right ones with setRabbitCredentials(user, password) or in TSACTOR_AMQP_URL`,
    };
  }
  if (/NOT.ALLOWED|vhost|ConnectionClose/i.test(raw) && !/CONNECTION.FORCED/.test(raw)) {
    return {
      code: 'BROKER_AUTH',
      message: `the RabbitMQ broker at ${cfg.display} refused to open virtual host '${cfg.vhost}' for user '${cfg.user}' (${raw}); create it (rabbitmqctl add_vhost) and grant the user access, or fix the path of TSACTOR_AMQP_URL`,
    };
  }
  const why = typeof errno === 'string' ? `${errno}${raw.includes(errno) ? '' : `: ${raw}`}` : raw;
  return {
    code: 'BROKER_UNREACHABLE',
    message: `cannot reach the RabbitMQ broker at ${cfg.display} (${why}); start it (for example 'rabbitmq-server -detached') or point TSACTOR_AMQP_URL at a running broker`,
  };
}

/** Removes the password from a message (amqplib never puts it there, but a URL might). */
export function scrub(cfg: BrokerConfig, message: string): string {
  return cfg.password.length >= 3 ? message.split(cfg.password).join('***') : message;
}

/** The error of a host that could not be served because of the broker. */
export function brokerHostError(cfg: BrokerConfig, error: unknown, url: string): HostError {
  const { message, code } = explainBrokerFailure(cfg, error);
  return new HostError(`cannot serve the host at ${url}: ${message}`, { code });
}

/** The error of a message that could not be sent because of the broker. */
export function brokerDownError(cfg: BrokerConfig, what: string, reason: string): HostDownError {
  return new HostDownError(`${what}: ${reason}`);
}

/**
 * Settings of the gRPC transport. Times are in seconds. Each can also be set with an
 * environment variable (read once, when the module loads), which is how the processes of a
 * cluster get the same values without code changes.
 */
import { DEFAULT_WIRE_LIMITS } from '@tsactor/core/internal';

export interface GrpcTransportSettings {
  /** the largest encoded message (bytes) a host accepts and sends (TSACTOR_GRPC_MAX_MESSAGE_SIZE; 4 MiB) */
  maxMessageSize: number;
  /** a side with nothing to send pings its peer this often (TSACTOR_GRPC_HEARTBEAT_INTERVAL; 0.2 s) */
  heartbeatInterval: number;
  /**
   * a connected peer silent for this long is treated as down (TSACTOR_GRPC_HEARTBEAT_TIMEOUT;
   * 10 s). Silence shorter than that is only a suspicion (`GrpcChannel.suspected`): a peer
   * whose event loop runs a long synchronous method cannot answer pings meanwhile. A closed
   * or reset connection is a death at once, whatever this says.
   */
  heartbeatTimeout: number;
  /** how long a connection attempt may take, handshake included (TSACTOR_GRPC_CONNECT_TIMEOUT; 3 s) */
  connectTimeout: number;
  /** the longest wait between two reconnection attempts to a host that is down (TSACTOR_GRPC_MAX_BACKOFF; 1 s) */
  maxBackoff: number;
  /** envelopes are sent in frames of about this many bytes (a larger single message goes alone; 256 KiB) */
  batchBytes: number;
  /** a stream that has not sent its Hello (and token) within this is closed (TSACTOR_GRPC_HELLO_TIMEOUT; 2 s) */
  helloTimeout: number;
  /** streams of a host still waiting for their Hello; more are refused at once with RESOURCE_EXHAUSTED (TSACTOR_GRPC_MAX_UNAUTHENTICATED; 64) */
  maxUnauthenticated: number;
  /**
   * bytes queued for one peer and not yet taken by its stream (TSACTOR_GRPC_MAX_QUEUED_BYTES;
   * 16 MiB, at least twice maxMessageSize). Outbound, an ask over it rejects with
   * MailboxFullError and a tell becomes a dead letter; for answers, a peer that lets more pile
   * up (it does not read) is disconnected.
   */
  maxQueuedBytes: number;
  /** answers queued for a peer beyond this stop the reading of its stream until they drain (1 MiB) */
  answerBacklog: number;
}

function fromEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new TypeError(`${name}='${v}' is not a positive number`);
  }
  return n;
}

export const settings: GrpcTransportSettings = {
  maxMessageSize: fromEnv('TSACTOR_GRPC_MAX_MESSAGE_SIZE', DEFAULT_WIRE_LIMITS.maxMessageBytes),
  heartbeatInterval: fromEnv('TSACTOR_GRPC_HEARTBEAT_INTERVAL', 0.2),
  heartbeatTimeout: fromEnv('TSACTOR_GRPC_HEARTBEAT_TIMEOUT', 10),
  connectTimeout: fromEnv('TSACTOR_GRPC_CONNECT_TIMEOUT', 3),
  maxBackoff: fromEnv('TSACTOR_GRPC_MAX_BACKOFF', 1),
  batchBytes: 256 * 1024,
  helloTimeout: fromEnv('TSACTOR_GRPC_HELLO_TIMEOUT', 2),
  maxUnauthenticated: fromEnv('TSACTOR_GRPC_MAX_UNAUTHENTICATED', 64),
  maxQueuedBytes: fromEnv('TSACTOR_GRPC_MAX_QUEUED_BYTES', 16 * 1024 * 1024),
  answerBacklog: 1024 * 1024,
};

/** The bound on bytes queued per peer (maxQueuedBytes, and never under two messages of the largest size). */
export function queueBound(): number {
  return Math.max(settings.maxQueuedBytes, 2 * settings.maxMessageSize + 64 * 1024);
}

/**
 * Changes settings of the gRPC transport for connections and hosts created from now on
 * (the heartbeat applies at once).
 */
export function configureGrpcTransport(changes: Partial<GrpcTransportSettings>): void {
  for (const [k, v] of Object.entries(changes)) {
    if (!(k in settings)) throw new TypeError(`configureGrpcTransport: unknown setting '${k}'`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new TypeError(`configureGrpcTransport: ${k} must be a positive number, got ${String(v)}`);
    }
    (settings as unknown as Record<string, number>)[k] = v;
  }
}

/**
 * The grpc-js options of a host's server: the channel options, plus limits on what a
 * connection may hold. Every tsactor connection carries one long-lived stream, so a few
 * concurrent streams per connection are plenty; a connection with no stream is closed
 * after a minute; the age limit sends GOAWAY after a day but lets the stream under way
 * finish (no grace limit), so a live link is never cut by it; the server pings a silent
 * connection and drops it when the ping is not answered. (grpc-js 1.14 does not implement
 * ping-strike enforcement, grpc.http2.min_ping_interval_without_data_ms: a peer's pings
 * are answered by Node's HTTP/2 layer and cost no JavaScript work.)
 */
export function grpcServerOptions(): Record<string, number> {
  return {
    ...grpcOptions(),
    'grpc.max_concurrent_streams': 8,
    'grpc.max_connection_idle_ms': 60_000,
    'grpc.max_connection_age_ms': 24 * 3600_000,
    'grpc.keepalive_time_ms': Math.max(30_000, 3 * settings.heartbeatTimeout * 1000),
    'grpc.keepalive_timeout_ms': Math.max(20_000, 2 * settings.heartbeatTimeout * 1000),
  };
}

/**
 * The grpc-js channel options both sides use. Channelz (grpc-js's introspection service,
 * which tsactor does not serve) is off: it would count every message and read the clock for
 * it on both sides of every stream.
 */
export function grpcOptions(): Record<string, number> {
  const frame = settings.maxMessageSize + 64 * 1024;
  return {
    'grpc.max_receive_message_length': frame,
    'grpc.max_send_message_length': frame,
    'grpc-node.max_session_memory': Math.max(64 * 1024 * 1024, 4 * frame),
    'grpc.enable_channelz': 0,
  };
}

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
  /** a peer silent for this long is treated as down (TSACTOR_GRPC_HEARTBEAT_TIMEOUT; 1 s) */
  heartbeatTimeout: number;
  /** how long a connection attempt may take, handshake included (TSACTOR_GRPC_CONNECT_TIMEOUT; 3 s) */
  connectTimeout: number;
  /** the longest wait between two reconnection attempts to a host that is down (TSACTOR_GRPC_MAX_BACKOFF; 1 s) */
  maxBackoff: number;
  /** envelopes are sent in frames of about this many bytes (a larger single message goes alone; 256 KiB) */
  batchBytes: number;
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
  heartbeatTimeout: fromEnv('TSACTOR_GRPC_HEARTBEAT_TIMEOUT', 1),
  connectTimeout: fromEnv('TSACTOR_GRPC_CONNECT_TIMEOUT', 3),
  maxBackoff: fromEnv('TSACTOR_GRPC_MAX_BACKOFF', 1),
  batchBytes: 256 * 1024,
};

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

/** The grpc-js channel options both sides use. */
export function grpcOptions(): Record<string, number> {
  const frame = settings.maxMessageSize + 64 * 1024;
  return {
    'grpc.max_receive_message_length': frame,
    'grpc.max_send_message_length': frame,
    'grpc-node.max_session_memory': Math.max(64 * 1024 * 1024, 4 * frame),
  };
}

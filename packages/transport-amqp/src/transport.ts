/**
 * The amqp:// transport plugin: hosts served over RabbitMQ and channels to them. One
 * connection per broker configuration is shared by every host and channel of the process.
 */
import {
  FailingChannel,
  HostDownError,
  type ActorChannel,
  type HostBinding,
  type TransportPlugin,
  type TransportServer,
} from '@tsactor/core/internal';
import { brokerConfig, brokerHostError, type BrokerConfig } from './config';
import { HostListener } from './inbound';
import { AmqpNode, type NodeStats } from './connection';
import { AmqpChannel } from './outbound';

const nodes = new Map<string, AmqpNode>();
/** connections closed earlier (their counters stay visible in amqpStats) */
const closedNodes: AmqpNode[] = [];
/** the node each served host uses (its outbound channels use the same one) */
const nodeOfHost = new Map<string, AmqpNode>();
/** the served hosts of this process, by base URL */
const listeners = new Map<string, HostListener>();

function nodeFor(cfg: BrokerConfig): AmqpNode {
  let n = nodes.get(cfg.key);
  if (n === undefined) {
    n = new AmqpNode(cfg, (closed) => {
      if (nodes.get(closed.cfg.key) === closed) nodes.delete(closed.cfg.key);
      closedNodes.push(closed);
      if (closedNodes.length > 100) closedNodes.shift();
      for (const [base, m] of nodeOfHost) if (m === closed) nodeOfHost.delete(base);
    });
    nodes.set(cfg.key, n);
  }
  return n;
}

async function listen(host: HostBinding): Promise<TransportServer> {
  const cfg = brokerConfig();
  const node = nodeFor(cfg);
  try {
    await node.connect();
  } catch (e) {
    if (node.unused) await node.close();
    throw brokerHostError(cfg, e, host.url);
  }
  const listener = new HostListener(node, host);
  const conn = node.connection;
  try {
    if (conn === null) throw new Error('the connection was lost while the host was starting');
    await listener.attach(conn, true);
  } catch (e) {
    await listener.close().catch(() => undefined);
    throw e;
  }
  node.listeners.add(listener);
  nodeOfHost.set(host.base, node);
  listeners.set(host.base, listener);
  const close = listener.close.bind(listener);
  listener.close = async () => {
    if (nodeOfHost.get(host.base) === node) nodeOfHost.delete(host.base);
    if (listeners.get(host.base) === listener) listeners.delete(host.base);
    // proxies to and from this host resolve their channel again (the router then knows it is shut down)
    for (const n of nodes.values()) {
      for (const o of [...n.outbound]) {
        if (o instanceof AmqpChannel && (o.base === host.base || o.fromBase === host.base)) o.dead();
      }
    }
    await close();
  };
  return listener;
}

function connect(base: string, from: HostBinding | null): ActorChannel {
  let node = from !== null ? nodeOfHost.get(from.base) : undefined;
  if (node === undefined) {
    try {
      node = nodeFor(brokerConfig());
    } catch (e) {
      // a bad TSACTOR_AMQP_URL: every message to amqp:// hosts fails with the explanation
      return new FailingChannel(() => e as Error);
    }
  }
  return new AmqpChannel(node, base, from);
}

async function closeAll(): Promise<void> {
  await Promise.all([...nodes.values()].map((n) => n.close()));
}

/** The amqp:// transport (registered by 'tsactor'). */
export const amqpTransport: TransportPlugin = {
  schemes: ['amqp'],
  listen,
  connect,
  closeAll,
};

/** Counters of the broker connections of this process, the closed ones first (for tests and diagnostics). */
export function amqpStats(): Array<NodeStats & { broker: string; state: string; pendingAsks: number; queuedBytes: number }> {
  return [...closedNodes, ...nodes.values()].map((n) => ({
    ...n.stats,
    broker: n.cfg.display,
    state: n.state,
    pendingAsks: n.asks.size,
    queuedBytes: n.publisher.queued,
  }));
}

/**
 * Resolves once every broker connection of this process is up (at once when it is), or
 * rejects with HostDownError after `seconds`. For programs that want to wait out a broker
 * restart before asking again.
 */
export function waitForBroker(seconds = 30): Promise<void> {
  const pending = [...nodes.values()].filter((n) => !n.isUp && n.state !== 'closed' && n.state !== 'idle');
  if (pending.length === 0) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.all(pending.map((n) => n.whenUp())).then(() => undefined),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new HostDownError(
              `the RabbitMQ broker at ${pending.map((n) => n.cfg.display).join(', ')} is still unreachable after ${seconds} s (${pending[0]!.lastFailure})`,
            ),
          ),
        seconds * 1000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** What a served amqp:// host has recorded of its senders (for tests and diagnostics). */
export interface AmqpHostStats {
  /** senders in its dedup table */
  readonly senders: number;
  /** sequence numbers recorded as seen, over all senders */
  readonly recorded: number;
  /** the ids of the senders it knows (at most the first 100) */
  readonly senderIds: readonly string[];
}

/** The dedup table of the amqp:// host of this process at `base` ('amqp://host:port/'), or null when none is served here. */
export function amqpHostStats(base: string): AmqpHostStats | null {
  const l = listeners.get(base);
  if (l === undefined) return null;
  return { senders: l.dedup.size, recorded: l.dedup.recorded, senderIds: l.dedup.senderIds(100) };
}

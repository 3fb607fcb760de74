import type { TransportPlugin } from '@tsactor/core/internal';

/**
 * A transport whose package is loaded on first use: importing 'tsactor' (in the main
 * thread and in every worker of the threads runtime) does not load gRPC or amqplib until a
 * host or a proxy needs them.
 */
export function lazyTransport(schemes: readonly string[], load: () => TransportPlugin): TransportPlugin {
  let plugin: TransportPlugin | null = null;
  const get = (): TransportPlugin => (plugin ??= load());
  return {
    schemes,
    listen: (host) => get().listen(host),
    connect: (base, from) => get().connect(base, from),
    closeAll: () => (plugin === null ? Promise.resolve() : plugin.closeAll()),
  };
}

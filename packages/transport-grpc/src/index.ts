/**
 * @tsactor/transport-grpc: grpc:// and grpcs:// hosts. Every pair of hosts talks over one
 * long-lived bidirectional gRPC stream (tsactor.proto, Transport.Connect) that
 * carries their messages in order, in batches; answers come back on the same stream.
 *
 * `tsactor` registers this transport; a program that builds on @tsactor/core alone calls
 * `registerTransport(grpcTransport)`.
 */
import { FailingChannel, toError, type ActorChannel, type HostBinding, type TransportPlugin } from '@tsactor/core/internal';
import { GrpcChannel, channels } from './client';
import { listen } from './server';

function connect(base: string, from: HostBinding | null): ActorChannel {
  try {
    return new GrpcChannel(base, from);
  } catch (e) {
    // a URL this transport cannot reach (e.g. no port): every message fails with that error
    const error = toError(e);
    return new FailingChannel(() => error);
  }
}

/** The gRPC transport plugin (schemes grpc and grpcs). */
export const grpcTransport: TransportPlugin = {
  schemes: ['grpc', 'grpcs'],
  listen,
  connect,
  async closeAll(): Promise<void> {
    await Promise.all([...channels].map((ch) => ch.close()));
  },
};

export { GrpcChannel, parseBase } from './client';
export { GrpcServer } from './server';
export { configureGrpcTransport, settings as grpcSettings, type GrpcTransportSettings } from './config';
export { transportService, connectPath } from './service';

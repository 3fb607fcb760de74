/**
 * @tsactor/transport-grpc: grpc:// and grpcs:// hosts. Every pair of hosts talks over one
 * long-lived bidirectional gRPC stream (protos/tsactor.proto, Transport.Connect) that
 * carries their messages in order, in batches; answers come back on the same stream.
 *
 * `tsactor` registers this transport; a program that builds on @tsactor/core alone calls
 * `registerTransport(grpcTransport)`.
 */
import type { TransportPlugin } from '@tsactor/core';
import { GrpcChannel, channels } from './client';
import { listen } from './server';

/** The gRPC transport plugin (schemes grpc and grpcs). */
export const grpcTransport: TransportPlugin = {
  schemes: ['grpc', 'grpcs'],
  listen,
  connect: (base, from) => new GrpcChannel(base, from),
  async closeAll(): Promise<void> {
    await Promise.all([...channels].map((ch) => ch.close()));
  },
};

export { GrpcChannel, parseBase } from './client';
export { GrpcServer } from './server';
export { configureGrpcTransport, settings as grpcSettings, type GrpcTransportSettings } from './config';
export { transportService, connectPath } from './service';

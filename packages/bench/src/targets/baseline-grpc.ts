/**
 * The bare baseline of the gRPC transport: one raw @grpc/grpc-js bidirectional stream to a
 * child process, messages batched per tick into one binary frame, no framework. What the
 * medium allows.
 */
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import { ChildSide } from './child-process';
import { StreamBaseline } from './baseline-client';
import { Batcher, decode } from './baseline-stream';

/** The service: one bidi method whose messages are raw buffers. */
export function serviceDefinition(): grpcTypes.ServiceDefinition {
  const id = (b: Buffer): Buffer => b;
  return {
    stream: {
      path: '/bench.Bench/Stream',
      requestStream: true,
      responseStream: true,
      requestSerialize: id,
      requestDeserialize: id,
      responseSerialize: id,
      responseDeserialize: id,
      originalName: 'stream',
    },
  };
}

export class GrpcStreamTarget extends StreamBaseline {
  private child: ChildSide | null = null;
  private client: grpcTypes.Client | null = null;
  private stream: grpcTypes.ClientDuplexStream<Buffer, Buffer> | null = null;

  async setup(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const grpc = require('@grpc/grpc-js') as typeof grpcTypes;
    this.child = await ChildSide.start(path.join(__dirname, 'baseline-grpc-server.js'), []);
    const address = await this.child.ready;
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(), 'Bench');
    this.client = new Client(address, grpc.credentials.createInsecure());
    const call = (this.client as unknown as { stream(): grpcTypes.ClientDuplexStream<Buffer, Buffer> }).stream();
    this.stream = call;
    call.on('data', (b: Buffer) => decode(b, this.handle));
    call.on('error', () => undefined);
    this.out = new Batcher((b) => call.write(b));
  }

  async teardown(): Promise<void> {
    this.stream?.end();
    this.client?.close();
    await this.child?.stop();
  }
}

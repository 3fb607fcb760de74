/**
 * The gRPC service of tsactor.proto, loaded with @grpc/proto-loader. Frames are encoded by
 * core's hand-written codec (wire/envelope.ts, the same bytes protobuf would write), so the
 * service's (de)serializers are replaced by the identity on Buffers: a batch of envelopes is
 * written once, not copied into protobuf objects and back.
 *
 * The .proto ships inside this package (proto/tsactor.proto, beside src/ and dist/), so an
 * installed package finds it; it is a copy of the repository's protos/tsactor.proto, which
 * a test keeps identical.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The .proto this package ships: proto/tsactor.proto of the package (from src/ or dist/). */
export const PROTO_FILE = path.join(__dirname, '..', 'proto', 'tsactor.proto');

function protoFile(): string {
  if (!fs.existsSync(PROTO_FILE)) {
    throw new Error(`${PROTO_FILE} not found: @tsactor/transport-grpc is installed without its proto/ folder; reinstall the package`);
  }
  return PROTO_FILE;
}

const identity = (b: Buffer): Buffer => b;

function load(): { service: grpc.ServiceDefinition; connectPath: string; protobufConnect: grpc.MethodDefinition<object, object> } {
  const def = protoLoader.loadSync(protoFile(), { keepCase: false, longs: Number, defaults: true });
  const transport = def['tsactor.wire.v1.Transport'] as unknown as grpc.ServiceDefinition;
  const connect = transport.Connect as grpc.MethodDefinition<unknown, unknown> | undefined;
  if (connect === undefined || !connect.requestStream || !connect.responseStream) {
    throw new Error(`${PROTO_FILE}: Transport.Connect must be a bidirectional stream`);
  }
  const method: grpc.MethodDefinition<Buffer, Buffer> = {
    ...(connect as unknown as grpc.MethodDefinition<Buffer, Buffer>),
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
  return { service: { Connect: method }, connectPath: connect.path, protobufConnect: connect as grpc.MethodDefinition<object, object> };
}

/**
 * transportService: the service with identity (de)serializers (what hosts serve and call);
 * protobufConnect: Transport.Connect as proto-loader made it (protobufjs (de)serializers of
 * Frame), to check that the hand-written codec writes and reads the same bytes.
 */
export const { service: transportService, connectPath, protobufConnect } = load();

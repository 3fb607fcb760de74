/** The server process of the grpc-js baseline: prints its address when ready. */
import type * as grpcTypes from '@grpc/grpc-js';
import { onParentStop } from './child-process';
import { BaselineServer, Batcher, decode } from './baseline-stream';
import { serviceDefinition } from './baseline-grpc';

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grpc = require('@grpc/grpc-js') as typeof grpcTypes;
  const server = new grpc.Server();
  server.addService(serviceDefinition(), {
    stream: (call: grpcTypes.ServerDuplexStream<Buffer, Buffer>) => {
      const out = new Batcher((b) => call.write(b));
      const srv = new BaselineServer(out);
      call.on('data', (b: Buffer) => decode(b, srv.handle));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  onParentStop(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  process.send!({ type: 'ready', url: `127.0.0.1:${port}` });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});

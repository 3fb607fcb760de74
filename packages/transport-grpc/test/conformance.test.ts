/**
 * The conformance suite with its actors on a grpc:// host reached through the transport:
 * every setup() creates a client host and a serving host (two network hosts of this
 * process talk over gRPC exactly as two processes would), and the suite drives the serving
 * host through the client's connection.
 */
import { createHost, shutdown, type HostProxy } from 'tsactor';
import { describeConformance } from '@tsactor/testing';
import { freePort } from './helpers';

describeConformance({
  name: 'grpc',
  inProcess: true,
  crossesBoundary: true,
  async setup() {
    const callerUrl = `grpc://127.0.0.1:${await freePort()}/`;
    const remoteUrl = `grpc://127.0.0.1:${await freePort()}/`;
    const callerHost = await createHost(callerUrl);
    await createHost(remoteUrl);
    const host = (await callerHost.lookupUrl(remoteUrl)) as unknown as HostProxy;
    return {
      host,
      callerHost,
      async teardown() {
        await shutdown(remoteUrl).catch(() => undefined);
        await shutdown(callerUrl).catch(() => undefined);
      },
    };
  },
});

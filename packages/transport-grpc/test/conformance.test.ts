/**
 * The conformance suite with its actors on a grpc:// host reached through the transport:
 * - 'grpc': every setup() creates a client host and a serving host in this process (two
 *   network hosts of one process talk over gRPC exactly as two processes would);
 * - 'grpc, threads runtime on the serving host': the same, the serving host's actors on
 *   worker threads;
 * - 'grpc, serving host in a child process': the serving host is a separate Node process.
 */
import { createHost, shutdown, type HostProxy } from 'tsactor';
import { describeConformance, twoHostSetup } from '@tsactor/testing';
import { freePort } from './helpers';
import { startPeer } from './peer';

function inProcessTarget(context: 'async' | 'threads') {
  return twoHostSetup(async () => `grpc://127.0.0.1:${await freePort()}/`, context);
}

describeConformance({ name: 'grpc', inProcess: true, crossesBoundary: true, setup: inProcessTarget('async') });

describeConformance({
  name: 'grpc, threads runtime on the serving host',
  inProcess: true,
  crossesBoundary: true,
  setup: inProcessTarget('threads'),
});

describeConformance({
  name: 'grpc, serving host in a child process',
  inProcess: false,
  crossesBoundary: true,
  async setup() {
    const remoteUrl = `grpc://127.0.0.1:${await freePort()}/`;
    const peer = await startPeer(remoteUrl, '', 'conformance-host.ts');
    const callerUrl = `grpc://127.0.0.1:${await freePort()}/`;
    const callerHost = await createHost(callerUrl);
    const host = await callerHost.lookupUrl<HostProxy>(remoteUrl);
    let down = false;
    return {
      host,
      callerHost,
      async teardown() {
        if (down) return;
        down = true;
        peer.child.kill('SIGTERM');
        const code = await peer.exited;
        await shutdown(callerUrl).catch(() => undefined);
        if (code !== 0) throw new Error(`the serving host exited with code ${code}:\n${peer.output()}`);
      },
    };
  },
});

/**
 * The conformance suite with its actors on an amqp:// host reached through the RabbitMQ
 * broker:
 * - 'amqp': every setup() creates a client host and a serving host in this process (two
 *   amqp:// hosts of one process talk through the broker exactly as two processes would);
 * - 'amqp, threads runtime on the serving host': the same, the serving host's actors on
 *   worker threads;
 * - 'amqp, serving host in a child process': the serving host is a separate Node process
 *   with its own broker connection.
 */
import { createHost, shutdown, type HostProxy } from 'tsactor';
import { describeConformance, twoHostSetup } from '@tsactor/testing';
import { describeWithBroker, hostNames } from './broker';
import { Child, holdBrokerForSuite } from './processes';

/** host names of this suite: amqp://127.0.0.1:18100/ and up (queue names on the broker, no sockets) */
const hosts = hostNames(18100, 40);
const url = hosts.next;

function inProcessTarget(context: 'async' | 'threads') {
  return twoHostSetup(url, context);
}

describeWithBroker('amqp transport', () => {
  holdBrokerForSuite(hosts.all);

  describeConformance({ name: 'amqp', inProcess: true, crossesBoundary: true, setup: inProcessTarget('async') });

  describeConformance({
    name: 'amqp, threads runtime on the serving host',
    inProcess: true,
    crossesBoundary: true,
    setup: inProcessTarget('threads'),
  });

  describeConformance({
    name: 'amqp, serving host in a child process',
    inProcess: false,
    crossesBoundary: true,
    async setup() {
      const remoteUrl = url();
      const peer = new Child('packages/transport-amqp/test/fixtures/conformance-host.ts', [remoteUrl]);
      await peer.waitFor(`ready ${remoteUrl}`);
      const callerUrl = url();
      const callerHost = await createHost(callerUrl);
      const host = await callerHost.lookupUrl<HostProxy>(remoteUrl);
      let down = false;
      return {
        host,
        callerHost,
        async teardown() {
          if (down) return;
          down = true;
          const code = await peer.interrupt();
          await shutdown(callerUrl).catch(() => undefined);
          if (code !== 0) throw new Error(`the serving host exited with code ${code}:\n${peer.stderr}`);
        },
      };
    },
  });
});

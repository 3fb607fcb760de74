/**
 * The conformance suite with its actors on an amqp:// host reached through the RabbitMQ
 * broker: every setup() creates a client host and a serving host (two amqp:// hosts of this
 * process talk through the broker exactly as two processes would), and the suite drives
 * the serving host through the client's channel.
 */
import { createHost, shutdown, type HostProxy } from 'tsactor';
import { describeConformance } from '@tsactor/testing';
import { brokerLock, describeWithBroker } from './broker';

let next = 0;
/** host names of this suite: amqp://127.0.0.1:18100/ and up (queue names on the broker, no sockets) */
function url(): string {
  return `amqp://127.0.0.1:${18100 + next++}/`;
}

describeWithBroker('amqp transport', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await brokerLock();
  }, 600_000);
  afterAll(async () => {
    await shutdown().catch(() => undefined);
    release?.();
  });

  describeConformance({
    name: 'amqp',
    inProcess: true,
    crossesBoundary: true,
    async setup() {
      const callerUrl = url();
      const remoteUrl = url();
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
});

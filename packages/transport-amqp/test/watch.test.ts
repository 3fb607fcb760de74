/**
 * Death watch across processes over RabbitMQ (SPEC §6.2): the watchers of an actor whose
 * amqp:// host process is killed hear 'host-down' once (the transport checks the hosts of
 * watched actors while they are watched, not only while asks to them are pending).
 */
import { createHost, shutdown, watch, type HostProxy, type StopReason } from 'tsactor';
import { describeWithBroker } from './broker';
import { Child, holdBrokerForSuite } from './processes';

describeWithBroker('amqp death watch', () => {
  holdBrokerForSuite(['amqp://127.0.0.1:18390/', 'amqp://127.0.0.1:18391/']);

  test("the host process of a watched actor is killed: its watcher hears 'host-down' once, with no ask pending", async () => {
    const remoteUrl = 'amqp://127.0.0.1:18390/';
    const peer = new Child('packages/transport-amqp/test/fixtures/conformance-host.ts', [remoteUrl]);
    await peer.waitFor(`ready ${remoteUrl}`);
    const me = await createHost('amqp://127.0.0.1:18391/');
    const remote = await me.lookupUrl<HostProxy>(remoteUrl);
    const watched = await remote.spawn<{ ping(): void }>('watched', 'Recorder');
    const heard: StopReason[] = [];
    const first = new Promise<StopReason>((resolve) =>
      watch(watched, (_ref, reason) => {
        heard.push(reason);
        resolve(reason);
      }),
    );
    // the watch is registered on the remote host (an ask to it) before the kill
    expect(await remote.hasActor('watched')).toBe(true);
    peer.kill();
    await peer.exited;
    expect(await first).toBe('host-down');
    expect(heard).toEqual(['host-down']);
    await shutdown();
  }, 30_000);
});

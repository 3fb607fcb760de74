/**
 * The RabbitMQ sample pair of the manual (2.2.6), examples/remote/s1_serverrbb.ts and
 * s1_clientrbb.ts, run as separate processes the way a user runs them
 * (`node -r ts-node/register/transpile-only s1_serverrbb.ts` in examples/remote/, importing
 * the built 'tsactor'), through the real broker. The server prints what the client tells
 * it; both exit with code 0 and print nothing on stderr.
 *
 * Needs RabbitMQ at 127.0.0.1:5672 (or TSACTOR_AMQP_URL): skipped with the reason when it
 * is not running, failed under CI=true.
 */
import * as path from 'node:path';
import { LOCK_TIMEOUT, brokerLock, describeWithBroker } from '../../packages/transport-amqp/test/broker';
import { Child, requireBuilt, killChildren } from '../../packages/transport-amqp/test/processes';

const REMOTE = path.resolve(__dirname, '..', 'remote');
const PRESS = 'Press Ctrl+C to kill the execution';

describeWithBroker('Remote samples over RabbitMQ (manual 2.2.6)', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    requireBuilt();
    release = await brokerLock();
  }, LOCK_TIMEOUT);
  afterAll(() => {
    killChildren();
    release?.();
  });

  it('s1_serverrbb prints the two tells of s1_clientrbb', async () => {
    const server = new Child('s1_serverrbb.ts', [], {}, REMOTE);
    await server.waitFor(PRESS);
    const client = new Child('s1_clientrbb.ts', [], {}, REMOTE);
    const clientCode = await client.exited;
    expect({ code: clientCode, stdout: client.lines, stderr: client.stderr }).toEqual({ code: 0, stdout: [], stderr: '' });
    await server.waitFor('See ya!');
    const code = await server.interrupt();
    expect({ code, stdout: server.lines, stderr: server.stderr }).toEqual({ code: 0, stdout: [PRESS, 'Hi there!', 'See ya!'], stderr: '' });
  }, 120_000);
});

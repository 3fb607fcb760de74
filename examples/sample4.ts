/**
 * Lookup sample.
 *
 * PyActor's examples/sample4.py (manual 2.1.6). Prints:
 *   something
 *   something
 */
import { Actor, Tell, Ask, setContext, createHost, sleep, shutdown } from 'tsactor';

@Actor
export class Echo {
  @Tell
  echo(msg: string): void {
    console.log(msg);
  }

  @Tell
  bye(): void {
    console.log('bye');
  }

  @Ask
  saySomething(): string {
    return 'something';
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  await h.spawn('echo1', Echo);

  const e = await h.lookup<Echo>('echo1');
  console.log(await e.saySomething());

  const ee = await h.lookupUrl('local://local:6666/echo1', Echo);
  console.log(await ee.saySomething());

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

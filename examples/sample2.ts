/**
 * Sync/async queries sample.
 *
 * PyActor's examples/sample2.py (manual 2.1.4). Prints:
 *   hello there !!
 *   bye
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
  const e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');
  e1.bye();

  console.log(await e1.saySomething());

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

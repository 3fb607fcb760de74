/**
 * Timeout sample.
 *
 * PyActor's examples/sample3.py (manual 2.1.5). `e1.say_something(timeout=1)` is
 * `e1.withTimeout(1).saySomething()`. Prints:
 *   hello there !!
 *   bye
 *   timeout caught
 */
import { Actor, Tell, Ask, TimeoutError, setContext, createHost, sleep, shutdown } from 'tsactor';

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
  async saySomething(): Promise<string> {
    await sleep(2);
    return 'something';
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  const e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');
  e1.bye();

  try {
    await e1.withTimeout(1).saySomething();
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    console.log('timeout caught');
  }
  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

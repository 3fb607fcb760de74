/**
 * Futures sample.
 *
 * PyActor's examples/sample8.py (manual 2.1.10). PyActor's `future=True` is simply not
 * awaiting the Future an ask returns. Prints (the first two lines in either order, as
 * the actor and the main code run independently):
 *   Future: Future(saySomething() of local://local:6666/echo1, pending)
 *   hello there !!
 *   Exception: null
 *   Result: something
 */
import { Actor, Tell, Ask, setContext, createHost, sleep, shutdown } from 'tsactor';

@Actor
export class Echo {
  @Tell
  echo(msg: string): void {
    console.log(msg);
  }

  @Ask
  saySomething(): string {
    return 'something';
  }

  @Ask
  raiseSomething(): never {
    throw new Error('raising something');
  }
}

async function main(): Promise<void> {
  setContext();
  // setContext('threads');
  const h = await createHost();
  const e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');

  // const ask = e1.raiseSomething();
  const ask = e1.saySomething();
  console.log(`Future: ${String(ask)}`);
  await sleep(0.1);
  if (ask.done()) {
    console.log(`Exception: ${await ask.exception()}`);
    try {
      console.log(`Result: ${await ask.result(1)}`);
    } catch (e) {
      console.log((e as Error).message);
    }
  }

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

/**
 * Stopping an actor.
 *
 * PyActor's examples/sample1b.py (manual 2.1.14). Prints:
 *   hello there !!
 *   hello there !!
 */
import { Actor, Tell, setContext, createHost, sleep, shutdown } from 'tsactor';

@Actor
export class Echo {
  @Tell
  echo(msg: string): void {
    console.log(msg);
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  let e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');

  await sleep(1);
  await h.stopActor('echo1');

  e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

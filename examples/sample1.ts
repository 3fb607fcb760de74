/**
 * Basic host creation sample.
 *
 * PyActor's examples/sample1.py (manual 2.1.3). Prints:
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
  const e1 = await h.spawn('echo1', Echo);
  e1.echo('hello there !!');

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

/**
 * Callback sample.
 *
 * PyActor's examples/sample9.py (manual 2.1.11). Prints:
 *   pinging...
 *   callback something
 *   callback something
 */
import { Actor, Tell, Ask, Ref, setContext, createHost, sleep, shutdown, type Future, type Proxy } from 'tsactor';

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
    await sleep(1);
    return 'something';
  }
}

@Actor
export class Bot {
  private echo!: Proxy<Echo>;

  @Tell
  @Ref
  setEcho(echo: Proxy<Echo>): void {
    this.echo = echo;
  }

  @Tell
  ping(): void {
    const future = this.echo.saySomething();
    future.addCallback('pong');
    future.addCallback('pong');
    console.log('pinging...');
  }

  @Tell
  async pong(future: Future<string>): Promise<void> {
    const msg = await future.result();
    console.log('callback', msg);
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  const e1 = await h.spawn('echo1', Echo);
  const bot = await h.spawn('bot', Bot);
  bot.setEcho(e1);
  bot.ping();

  await sleep(2);
  await shutdown();
}

if (require.main === module) void main();

/**
 * Proxy references by parameter sample (sample 5 extended).
 *
 * PyActor's examples/sample7.py (manual 2.1.9). Prints:
 *   hello from: bot1
 *   hi from: bot1
 *   hey from: bot1
 *   what's up? from: bot1
 *   hello there! from: bot2
 *   hello there!! from: bot1
 *   hello there!! from: bot2
 */
import { Actor, Tell, Ask, Ref, setContext, createHost, sleep, shutdown, type Proxy } from 'tsactor';

@Actor
export class Echo {
  @Tell
  @Ref
  async echo(msg: string, sender: Proxy<Bot>): Promise<void> {
    console.log(`${msg} from: ${await sender.getName()}`);
  }

  @Tell
  @Ref
  async echo2(msg: string, senders: Proxy<Bot>[]): Promise<void> {
    for (const sender of senders) {
      console.log(`${msg} from: ${await sender.getName()}`);
    }
  }

  @Tell
  @Ref
  async echo3(msg: string, senders: Record<string, Proxy<Bot>>): Promise<void> {
    for (const sender of Object.values(senders)) {
      console.log(`${msg} from: ${await sender.getName()}`);
    }
  }
}

// Bot passes `this.proxy` where a Proxy<Bot> is expected, so it declares the fields that
// tsactor sets on every actor with its own class (ActorBase types `proxy` as Proxy<this>).
@Actor
export class Bot {
  declare readonly id: string;
  declare readonly proxy: Proxy<Bot>;

  private readonly greetings = ['hello', 'hi', 'hey', "what's up?"];
  private echo!: Proxy<Echo>;

  @Tell
  @Ref
  setEcho(echo: Proxy<Echo>): void {
    this.echo = echo;
  }

  @Ask
  getName(): string {
    return this.id;
  }

  @Tell
  sayHi(): void {
    for (const salute of this.greetings) {
      this.echo.echo(salute, this.proxy);
    }
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  const e1 = await h.spawn('echo1', Echo);
  const bot = await h.spawn('bot1', Bot);
  const bot2 = await h.spawn('bot2', Bot);
  bot.setEcho(e1); // Passing a proxy to a method marked @Ref
  await sleep(1); // Give time to host to lookup the first one
  bot2.setEcho(e1);
  bot.sayHi();
  await sleep(1);
  e1.echo2('hello there!', [bot2]);
  e1.echo3('hello there!!', { bot1: bot, bot2: bot2 });

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

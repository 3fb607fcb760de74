/**
 * Self references sample. Actor id/proxy. + serveForever
 *
 * PyActor's examples/sample6.py (manual 2.1.8). `self.id`, `self.url`, `self.proxy` and
 * `self.host` are `this.id`, `this.url`, `this.proxy` and `this.host`, set by tsactor on
 * every actor.
 * Prints the four greetings, each followed by the bot's URL as the code asks (the
 * manual's printed output leaves out the ` at ...` part), then waits for Ctrl+C:
 *   hello from: bot1 at local://local:6666/bot1
 *   hi from: bot1 at local://local:6666/bot1
 *   hey from: bot1 at local://local:6666/bot1
 *   what's up? from: bot1 at local://local:6666/bot1
 *   Press Ctrl+C to kill the execution
 */
import { Actor, Tell, Ask, Ref, setContext, createHost, sleep, serveForever, type HostProxy, type Proxy } from 'tsactor';

@Actor
export class Echo {
  @Tell
  @Ref
  async echo(msg: string, sender: Proxy<Bot>): Promise<void> {
    console.log(`${msg} from: ${await sender.getName()} at ${await sender.getNet()}`);
    // console.log(sender.getId(), sender.getUrl());
  }
}

// Bot passes `this.proxy` where a Proxy<Bot> is expected, so it declares the fields that
// tsactor sets on every actor with its own class (ActorBase types `proxy` as Proxy<this>).
@Actor
export class Bot {
  declare readonly id: string;
  declare readonly url: string;
  declare readonly proxy: Proxy<Bot>;
  declare readonly host: HostProxy;

  private readonly greetings = ['hello', 'hi', 'hey', "what's up?"];
  private echo!: Proxy<Echo>;

  @Tell
  async setEcho(): Promise<void> {
    this.echo = await this.host.lookup<Echo>('echo1');
  }

  @Ask
  getName(): string {
    return this.id;
  }

  @Ask
  getNet(): string {
    return this.url;
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
  await h.spawn('echo1', Echo);
  const bot = await h.spawn('bot1', Bot);
  bot.setEcho();
  bot.sayHi();

  await sleep(1);
  await serveForever();
}

if (require.main === module) void main();

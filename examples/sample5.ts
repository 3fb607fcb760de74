/**
 * Proxy references by parameter sample.
 *
 * PyActor's examples/sample5.py (manual 2.1.7). Methods in PyActor's `_ref` set are
 * marked @Ref: the proxies in their arguments (also inside arrays and objects) are
 * re-made for the receiving actor. Prints:
 *   HI! from: bot1
 *   hello there! from: bot2
 *   hello there!! from: bot1
 *   hello there!! from: bot2
 */
import { Actor, ActorBase, Tell, Ask, Ref, setContext, createHost, sleep, shutdown, type Proxy } from 'tsactor';

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

@Actor
export class Bot extends ActorBase {
  @Ask
  getName(): string {
    return this.id;
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();
  const e1 = await h.spawn('echo1', Echo);
  const bot = await h.spawn('bot1', Bot);
  const bot2 = await h.spawn('bot2', Bot);
  await sleep(1);
  e1.echo('HI!', bot);
  e1.echo2('hello there!', [bot2]);
  e1.echo3('hello there!!', { bot1: bot, bot2: bot2 });

  await sleep(1);
  await shutdown();
}

if (require.main === module) void main();

/**
 * Intervals sample.
 *
 * PyActor's examples/sample11.py (manual 2.1.13). Each of the N registries greets at once
 * and then every second; after 5 seconds a `later` call stops its interval. Prints, for
 * each registry id (0 and 1), `<id> Hello you too` five times (a sixth when the last
 * tick and the stop meet at 5 s), and `stopping interval` once per registry:
 *   0 Hello you too
 *   1 Hello you too
 *   ...
 *   stopping interval
 *   stopping interval
 */
import { Actor, ActorBase, Tell, setContext, createHost, sleep, shutdown, interval, later, type Interval, type Proxy } from 'tsactor';

@Actor
export class Registry extends ActorBase {
  private intervall!: Interval;

  @Tell
  initStart(): void {
    this.intervall = interval(this.host, 1, this.proxy, 'hello', 'you', 'too');
    later(5, this.proxy, 'stopInterval');
  }

  @Tell
  stopInterval(): void {
    console.log('stopping interval');
    this.intervall.set();
  }

  @Tell
  hello(msg: string, m2: string): void {
    console.log(`${this.id} Hello ${msg} ${m2}`);
  }
}

async function main(): Promise<void> {
  const N = 2; // 10000

  setContext();
  const host = await createHost();
  const registry: Proxy<Registry>[] = [];
  for (let i = 0; i < N; i++) {
    registry.push(await host.spawn(String(i), Registry));
  }

  for (let i = 0; i < N; i++) {
    registry[i]!.initStart();
  }

  await sleep(8);
  await shutdown();
}

if (require.main === module) void main();

/**
 * More simple Parallel methods sample.
 *
 * PyActor's examples/parall.py (not in the manual, which points to it from sample 10).
 * ParaWork.work is @Parallel: while it awaits each 2-second job, the actor keeps
 * answering checkWork, so the main code sees the count grow. Prints `working 0` …
 * `working 4` (one every two seconds) among ten counts, one a second, that grow from 0
 * by one every two seconds:
 *   working 0
 *   0
 *   0
 *   working 1
 *   1
 *   ...
 */
import { Actor, ActorBase, Tell, Ask, Parallel, TimeoutError, setContext, createHost, sleep, shutdown } from 'tsactor';

@Actor
export class Work {
  @Ask
  async sleeping(t: number): Promise<boolean> {
    await sleep(t);
    return true;
  }
}

@Actor
export class ParaWork extends ActorBase {
  private count = 0;

  @Tell
  @Parallel
  async work(): Promise<void> {
    const sl = await this.host.spawn('sl', Work);
    for (let i = 0; i < 5; i++) {
      console.log(`working ${i}`);
      await sl.withTimeout(3).sleeping(2);
      this.count += 1;
    }
    // return true;
  }

  @Ask
  checkWork(): number {
    return this.count;
  }
}

async function main(): Promise<void> {
  // setContext('green_thread');
  setContext();

  const host = await createHost();
  const worker = await host.spawn('w1', ParaWork);

  try {
    worker.work();
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    console.log(e.message);
  }

  for (let i = 0; i < 10; i++) {
    try {
      console.log(await worker.withTimeout(null).checkWork());
      await sleep(1);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      console.log(e.message);
    }
  }

  await sleep(2);
  await shutdown();
}

if (require.main === module) void main();

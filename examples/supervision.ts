/**
 * Supervision and death watch.
 *
 * A flaky worker is restarted with backoff when a job fails (its mailbox keeps the jobs
 * waiting meanwhile); after too many failures it stops, and a supervisor that watches it
 * starts a replacement. Prints:
 *   supervisor: started w1
 *   job 1 -> 2 (instance 1)
 *   job 2 -> 4 (instance 1)
 *   job 3 failed: w1 cannot do job 3
 *   job 4 -> 8 (instance 2, after "w1 cannot do job 3")
 *   job 13 failed: w1 cannot do job 13
 *   job 23 failed: w1 cannot do job 23
 *   job 33 failed: w1 cannot do job 33
 *   supervisor: w1 ended (failed); started w2
 *   job 5 -> 10 (instance 1)
 *   supervisor: w2 ended (stopped); not replaced
 */
import { Actor, ActorBase, Ask, Parallel, Ref, Tell, createHost, shutdown, type Proxy } from 'tsactor';

/** Fails on every job that ends in 3; restarted with a backoff of 0.05 s doubling up to 0.2 s, at most three times in 10 s. */
@Actor({ supervision: { onError: 'restart', maxRestarts: 3, within: 10, backoff: [0.05, 0.2] } })
export class FlakyWorker extends ActorBase {
  /** instances built so far, by worker id (a restart builds one more) */
  private static readonly instances = new Map<string, number>();
  private readonly instance: number;
  private restartedAfter: string | null = null;

  constructor() {
    super();
    this.instance = (FlakyWorker.instances.get(this.id) ?? 0) + 1;
    FlakyWorker.instances.set(this.id, this.instance);
  }

  onRestart(error: Error): void {
    this.restartedAfter = error.message;
  }

  @Ask process(job: number): string {
    if (job % 10 === 3) throw new Error(`${this.id} cannot do job ${job}`);
    const after = this.restartedAfter === null ? '' : `, after "${this.restartedAfter}"`;
    return `job ${job} -> ${job * 2} (instance ${this.instance}${after})`;
  }
}

/** Starts workers, watches them, and replaces the ones that fail. */
@Actor
export class Supervisor extends ActorBase {
  private next = 1;
  private current: Proxy<FlakyWorker> | null = null;
  private waiting: Array<(w: Proxy<FlakyWorker>) => void> = [];

  @Ask @Ref async start(): Promise<Proxy<FlakyWorker>> {
    const id = `w${this.next++}`;
    const w = await this.host.spawn<FlakyWorker>(id, FlakyWorker);
    this.watch(w);
    this.current = w;
    return w;
  }

  /** the worker that replaces `id` (once there is one) */
  @Ask @Ref @Parallel async replacementOf(id: string): Promise<Proxy<FlakyWorker>> {
    if (this.current !== null && this.current.getId() !== id) return this.current;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  @Tell log(line: string): void {
    console.log(`supervisor: ${line}`);
  }

  async onTerminated(ref: Proxy<FlakyWorker>, reason: string): Promise<void> {
    if (reason !== 'failed') {
      console.log(`supervisor: ${ref.getId()} ended (${reason}); not replaced`);
      return;
    }
    const w = await this.start();
    console.log(`supervisor: ${ref.getId()} ended (${reason}); started ${w.getId()}`);
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(w);
  }
}

async function run(worker: Proxy<FlakyWorker>, job: number): Promise<void> {
  try {
    console.log(await worker.process(job));
  } catch (e) {
    console.log(`job ${job} failed: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const h = await createHost();
  const sup = await h.spawn('supervisor', Supervisor);
  const w1 = await sup.start();
  sup.log(`started ${w1.getId()}`);
  await sup.replacementOf('');
  for (const job of [1, 2, 3, 4]) await run(w1, job);
  // three more failures: the third restart in 10 s is one too many, the worker stops and the supervisor replaces it
  for (const job of [13, 23, 33]) await run(w1, job);
  const w2 = await sup.replacementOf(w1.getId());
  await run(w2, 5);
  await h.stopActor(w2.getId());
  await sup.replacementOf('');
  await shutdown();
}

if (require.main === module) void main();

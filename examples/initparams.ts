/**
 * Constructor arguments sample.
 *
 * PyActor's examples/initparams.py (not in the manual): the arguments after the class
 * in `spawn(id, klass, ...args)` go to the actor's constructor. Prints:
 *   ['hi', 'you']
 */
import { Actor, Tell, setContext, createHost, shutdown } from 'tsactor';

/** Prints a list of strings as Python does: ['hi', 'you']. */
function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

@Actor
export class Someclass {
  private readonly things: string[];

  constructor(op: string, thing: string) {
    this.things = [op, thing];
  }

  @Tell
  showThings(): void {
    console.log(pyList(this.things));
  }
}

async function main(): Promise<void> {
  setContext();
  const h = await createHost();

  const params: [string, string] = ['hi', 'you'];
  const t = await h.spawn('t', Someclass, ...params);

  t.showThings();

  await shutdown();
}

if (require.main === module) void main();

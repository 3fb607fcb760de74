/**
 * Parallel methods sample. With Futures.
 *
 * PyActor's examples/sample10b.py (not in the manual; the manual's note on sample 10
 * says it "combines this example with the use of Futures"): sample 10 where Web.getFile
 * takes the Future of the download and waits for its result with a 6-second timeout.
 * Prints what sample 10 prints:
 *   ['a1.txt', 'a2.txt', 'a3.txt', 'a4.zip']   (ten times)
 *   downloading a1.txt                          (somewhere among them)
 *   download finished
 */
import { Actor, Tell, Ask, Ref, Parallel, TimeoutError, setContext, createHost, sleep, shutdown, type Proxy } from 'tsactor';

/** Prints a list of strings as Python does: ['a1.txt', 'a2.txt']. */
function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

@Actor
export class File {
  @Ask
  async download(filename: string): Promise<boolean> {
    console.log(`downloading ${filename}`);
    await sleep(5);
    return true;
  }
}

@Actor
export class Web {
  private readonly files = ['a1.txt', 'a2.txt', 'a3.txt', 'a4.zip'];
  private server!: Proxy<File>;

  // Remove the @Parallel marks to see the timeouts raised when parallels are not used.
  @Tell
  @Parallel
  @Ref
  remoteServer(fileServer: Proxy<File>): void {
    this.server = fileServer;
  }

  @Ask
  @Parallel
  listFiles(): string[] {
    return this.files;
  }

  @Ask
  @Parallel
  async getFile(filename: string): Promise<boolean> {
    const future = this.server.download(filename);
    return await future.result(6);
  }
}

@Actor
export class Workload {
  private server!: Proxy<Web>;

  @Tell
  async launch(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      try {
        console.log(pyList(await this.server.withTimeout(2).listFiles()));
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        console.log(i, e.message);
      }
    }
  }

  @Tell
  @Ref
  remoteServer(webServer: Proxy<Web>): void {
    this.server = webServer;
  }

  @Tell
  async download(): Promise<void> {
    await this.server.withTimeout(10).getFile('a1.txt');
    console.log('download finished');
  }
}

async function main(): Promise<void> {
  setContext('green_thread');
  // setContext();

  const host = await createHost();

  const f1 = await host.spawn('file1', File);
  const web = await host.spawn('web1', Web);
  await sleep(1);
  web.remoteServer(f1);
  const load = await host.spawn('wl1', Workload);
  load.remoteServer(web);
  const load2 = await host.spawn('wl2', Workload);
  load2.remoteServer(web);

  load.launch();
  load2.download();

  await sleep(7);
  await shutdown();
}

if (require.main === module) void main();

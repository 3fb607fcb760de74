import { Actor, Tell, Ref, createHost, shutdown, setErrorHandler, type Proxy } from 'tsactor';

const seen: number[] = [];
let release: () => void = () => undefined;
let started: () => void = () => undefined;

@Actor
export class Sink {
  @Tell put(n: number): void {
    seen.push(n);
  }
  @Tell @Ref forward(to: Proxy<Sink>, n: number): void {
    to.put(n);
  }
  @Tell async slow(): Promise<void> {
    started();
    await new Promise<void>((resolve) => (release = resolve));
  }
}

describe('shutdown', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('lets actors handle the tells sent before it, including those they send each other', async () => {
    const h = await createHost('local://local:7301/host');
    const a = await h.spawn('a', Sink);
    const b = await h.spawn('b', Sink);
    for (let i = 0; i < 1000; i++) a.put(i);
    for (let i = 1000; i < 1010; i++) a.forward(b, i);
    await shutdown('local://local:7301/host');
    expect(seen).toHaveLength(1010);
    expect(seen.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('does not wait for a method that holds the mailbox, and reports the tells it drops', async () => {
    const reports: string[] = [];
    const prev = setErrorHandler((e) => reports.push(e.message));
    try {
      const h = await createHost('local://local:7302/host');
      const a = await h.spawn('a', Sink);
      const holding = new Promise<void>((resolve) => (started = resolve));
      a.slow();
      a.put(1);
      await holding;
      await shutdown('local://local:7302/host');
      expect(seen).toEqual([]);
      expect(reports).toEqual([expect.stringContaining('1 queued tell(s) to local://local:7302/a were not handled')]);
    } finally {
      release();
      setErrorHandler(prev);
    }
  });
});

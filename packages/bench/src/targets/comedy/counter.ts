/**
 * comedy actor (module-defined, so it can run threaded, forked or remote): counts tells.
 * report() sends the count to its parent as a message: in comedy a tell (send) may be
 * overtaken by a later ask (sendAndReceive), while tells keep their order.
 */
interface ParentRef {
  send(topic: string, ...args: unknown[]): PromiseLike<void>;
}

export default class ComedyCounter {
  private n = 0;
  private parent: ParentRef | null = null;
  initialize(self: { getParent(): ParentRef }): void {
    this.parent = self.getParent();
  }
  inc(): void {
    this.n++;
  }
  report(k: number): void {
    const n = this.n;
    this.n = 0;
    void this.parent!.send('counted', k, n);
  }
}

/** comedy actor (module-defined): answers every ping with a pong to its parent (the ping actor). */
interface ParentRef {
  send(topic: string, ...args: unknown[]): PromiseLike<void>;
}

export default class ComedyPong {
  private parent: ParentRef | null = null;
  private count = 0;
  initialize(self: { getParent(): ParentRef }): void {
    this.parent = self.getParent();
  }
  ping(left: number): void {
    this.count++;
    this.parent!.send('pong', left);
  }
  take(): number {
    const n = this.count;
    this.count = 0;
    return n;
  }
}

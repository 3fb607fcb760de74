/**
 * The fields every actor gets (id, url, proxy, host): proxy and host are made on first
 * read, and read the same as eager fields would.
 */
import { Actor, ActorBase, Ask, createHost, shutdown, type HostProxy, type Proxy } from 'tsactor';

@Actor
class Plain {
  declare readonly id: string;
  declare readonly url: string;
  declare readonly proxy: Proxy<Plain>;
  declare readonly host: HostProxy;
  @Ask fields(): [string, string, string, string] {
    return [this.id, this.url, this.proxy.getUrl(), this.host.getUrl()];
  }
  @Ask sameProxyEachRead(): boolean {
    return this.proxy === this.proxy && this.host === this.host;
  }
  @Ask async askSelf(): Promise<string> {
    return this.host.getUrl();
  }
}

@Actor
class Based extends ActorBase {
  private readonly inCtor: string;
  constructor() {
    super();
    this.inCtor = `${this.id} ${this.proxy.getUrl()} ${this.host.getUrl()}`;
  }
  @Ask seenInConstructor(): string {
    return this.inCtor;
  }
  @Ask stillSame(): boolean {
    return this.proxy === this.proxy;
  }
}

describe('actor fields', () => {
  afterEach(() => shutdown());

  it('gives a plain class id, url, proxy and host, one proxy object per field', async () => {
    const h = await createHost('local://fields:1/host');
    const a = await h.spawn('a', Plain);
    expect(await a.fields()).toEqual(['a', 'local://fields:1/a', 'local://fields:1/a', 'local://fields:1/host']);
    expect(await a.sameProxyEachRead()).toBe(true);
    expect(await a.askSelf()).toBe('local://fields:1/host');
  });

  it('gives an ActorBase subclass its fields in its constructor', async () => {
    const h = await createHost('local://fields:2/host');
    const b = await h.spawn('b', Based);
    expect(await b.seenInConstructor()).toBe('b local://fields:2/b local://fields:2/host');
    expect(await b.stillSame()).toBe(true);
  });
});

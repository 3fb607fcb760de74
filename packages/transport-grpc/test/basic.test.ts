import { Actor, Ask, Tell, Ref, createHost, shutdown, type Proxy, type HostProxy } from 'tsactor';
import { freePort } from './helpers';

@Actor
class Echo {
  msgs: string[] = [];
  @Tell echo(msg: string): void {
    this.msgs.push(msg);
  }
  @Ask getMsgs(): string[] {
    return this.msgs;
  }
  @Ask @Ref same(p: unknown): unknown {
    return p;
  }
}

describe('two grpc hosts in one process', () => {
  let a: HostProxy;
  let b: HostProxy;
  let bUrl: string;
  beforeAll(async () => {
    a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
    bUrl = `grpc://127.0.0.1:${await freePort()}/`;
    b = await createHost(bUrl);
  });
  afterAll(() => shutdown());

  test('tell then ask through lookupUrl without the class', async () => {
    await b.spawn('echo1', Echo);
    const e = (await a.lookupUrl(`${bUrl}echo1`)) as unknown as Proxy<Echo>;
    e.echo('Hi there!');
    e.echo('See ya!');
    expect(await e.getMsgs()).toEqual(['Hi there!', 'See ya!']);
    const back = await e.same(e);
    expect(e.equals(back)).toBe(true);
  });
});

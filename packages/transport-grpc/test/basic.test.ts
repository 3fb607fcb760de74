/**
 * grpc:// hosts: several in one process, lookupUrl without the class, the host proxy of a
 * URL with no id, host proxies passed across hosts and back, shutdown(url) of one host.
 */
import { Actor, Ask, Tell, Ref, createHost, shutdown, getHost, HostDownError, HostError, type HostProxy } from 'tsactor';
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
  @Ask @Ref async spawnThrough(host: HostProxy, id: string): Promise<string> {
    const e = await host.spawn<Echo>(id, Echo);
    e.echo('spawned by a remote actor');
    return (await e.getMsgs())[0]!;
  }
}

afterEach(() => shutdown());

test('tell then ask through lookupUrl without the class; a @Ref round trip keeps equals()', async () => {
  const a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const b = await createHost(bUrl);
  await b.spawn('echo1', Echo);
  const e = await a.lookupUrl<Echo>(`${bUrl}echo1`);
  expect(e.getUrl()).toBe(`${bUrl}echo1`);
  e.echo('Hi there!');
  e.echo('See ya!');
  expect(await e.getMsgs()).toEqual(['Hi there!', 'See ya!']);
  const back = await e.same(e);
  expect(e.equals(back)).toBe(true);
  await expect(a.lookupUrl(`${bUrl}nobody`)).rejects.toThrow(/no actor 'nobody'/);
});

test("lookupUrl of a URL with no id gives the host's proxy; host proxies travel to other hosts and back", async () => {
  const a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  await createHost(bUrl);
  const bHost = await a.lookupUrl<HostProxy>(bUrl);
  expect(bHost.getUrl()).toBe(bUrl);
  expect(await bHost.hasActor('e')).toBe(false);
  const e = await bHost.spawn('e', Echo);
  // a's host proxy goes to the actor on b, which spawns on a through it
  expect(await e.spawnThrough(a, 'made-on-a')).toBe('spawned by a remote actor');
  expect(await a.hasActor('made-on-a')).toBe(true);
  const aBack = await e.same(a);
  expect(a.equals(aBack)).toBe(true);
});

test('shutdown(url) stops one host; the others go on; calls to it fail promptly', async () => {
  const aUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const bUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const cUrl = `grpc://127.0.0.1:${await freePort()}/`;
  const a = await createHost(aUrl);
  await createHost(bUrl);
  await createHost(cUrl);
  const onB = await a.lookupUrl<HostProxy>(bUrl).then((h) => h.spawn<Echo>('x', Echo));
  const onC = await a.lookupUrl<HostProxy>(cUrl).then((h) => h.spawn<Echo>('y', Echo));
  await shutdown(bUrl);
  await expect(onB.getMsgs()).rejects.toBeInstanceOf(HostDownError);
  await expect((await a.lookupUrl<HostProxy>(bUrl)).hasActor('x')).rejects.toBeInstanceOf(HostError);
  onC.echo('still here');
  expect(await onC.getMsgs()).toEqual(['still here']);
  expect(getHost()!.getUrl()).toBe(aUrl);
  // the URL is free again: a new host there is reached by the same proxy
  const b2 = await createHost(bUrl);
  await b2.spawn('x', Echo);
  expect(await onB.getMsgs()).toEqual([]);
});

test('a grpc:// URL without a port is refused with a clear HostError, for hosts and for calls', async () => {
  await expect(createHost('grpc://127.0.0.1/')).rejects.toThrow(/expected grpc:\/\/HOST:PORT\//);
  const a = await createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const e = await a.lookupUrl('grpc://127.0.0.1/someone').then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HostError);
  expect((e as HostError).code).toBe('BAD_URL');
  await expect(createHost(a.getUrl())).rejects.toBeInstanceOf(HostError);
});

test('a port taken by another program is refused with a HostError that says so', async () => {
  const net = await import('node:net');
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
  try {
    const e = await createHost(`grpc://127.0.0.1:${port}/`).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).code).toBe('ADDRESS_IN_USE');
    expect((e as Error).message).toMatch(new RegExp(`port ${port} is already in use`));
  } finally {
    await new Promise<void>((r) => squatter.close(() => r()));
  }
});

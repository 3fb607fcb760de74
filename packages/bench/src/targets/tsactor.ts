/**
 * tsactor targets: the same workloads over the 'async' runtime, the 'threads' runtime, and
 * grpc:// or amqp:// between this process and a child process (the remote side).
 *
 * Placement: in 'async' and 'threads' every actor is on one host (in 'threads' the runtime
 * spreads them over its workers). Across processes, the actor that receives the load
 * (counter, echo, pong, fork-join counters, spawned actors) is on the remote host, the
 * driving actor (ping, sink) is local, and the ring alternates local and remote actors so
 * that every hop crosses the transport.
 */
import * as path from 'node:path';
import type { HostProxy, Proxy } from 'tsactor';
import { Counter, Echo, Idle, Ping, Pong, RingNode, Sink, Control } from './tsactor-actors';
import {
  TELL_ROUND,
  expectEqual,
  fullGc,
  heapUsed,
  now,
  pipelinedAsks,
  sequentialAsks,
  tellInRounds,
  countTo,
  type TargetImpl,
  type Timed,
} from './types';
import { ChildSide, freePort, brokerReachable } from './child-process';

export type TsactorKind = 'async' | 'threads' | 'grpc' | 'amqp';

/** Why a kind cannot run in this checkout, or null. */
export async function tsactorUnavailable(kind: TsactorKind): Promise<string | null> {
  await import('tsactor');
  const core = await import('@tsactor/core/internal');
  if (kind === 'threads' && !core.hasRuntime('threads')) return "runtime 'threads' is not registered by 'tsactor'";
  if ((kind === 'grpc' || kind === 'amqp') && core.getTransport(kind) === undefined) {
    return `no transport is registered for ${kind}:// by 'tsactor'`;
  }
  if (kind === 'amqp' && !(await brokerReachable())) return 'RabbitMQ is not answering on 127.0.0.1:5672';
  return null;
}

/** The URL of a bench host for a scheme (port: a free TCP port, used by grpc). */
export function hostUrl(scheme: 'grpc' | 'amqp', port: number, role: string): string {
  return scheme === 'grpc' ? `grpc://127.0.0.1:${port}/` : `amqp://bench-${role}-${process.pid}-${port}/`;
}

const SPAWN_BATCH = 1000;

type Where = 'local' | 'remote';

export class TsactorTarget implements TargetImpl {
  private tsactor!: typeof import('tsactor');
  private local!: HostProxy;
  private remote: HostProxy | null = null;
  private control: Proxy<Control> | null = null;
  private child: ChildSide | null = null;
  private seq = 0;
  private readonly cache = new Map<string, unknown>();

  constructor(readonly kind: TsactorKind) {}

  /** Tells per round (see TELL_ROUND): rounds only across processes, whose transports bound what they buffer. */
  private get round(): number {
    return this.kind === 'grpc' || this.kind === 'amqp' ? TELL_ROUND : Infinity;
  }

  async setup(): Promise<void> {
    this.tsactor = await import('tsactor');
    const { createHost, setContext } = this.tsactor;
    if (this.kind === 'async') {
      setContext('async');
      this.local = await createHost('local://bench:7070/host');
    } else if (this.kind === 'threads') {
      setContext('threads');
      this.local = await createHost('local://bench:7071/host', { threads: 2 });
    } else {
      setContext('async');
      const scheme = this.kind;
      this.local = await createHost(hostUrl(scheme, await freePort(), 'driver'), { timeout: 60 });
      this.child = await ChildSide.start(path.join(__dirname, 'tsactor-remote.js'), [scheme]);
      const remoteUrl = await this.child.ready;
      this.remote = await this.local.lookupUrl<never>(remoteUrl);
      this.control = (await this.remote.lookupUrl(remoteUrl + 'control')) as unknown as Proxy<Control>;
      expectEqual('remote control answers', (await this.control.heap()) > 0, true);
    }
  }

  async teardown(): Promise<void> {
    try {
      await this.tsactor.shutdown();
    } finally {
      if (this.child !== null) await this.child.stop();
    }
  }

  private host(where: Where): HostProxy {
    return where === 'remote' && this.remote !== null ? this.remote : this.local;
  }

  private async spawnOne<T>(where: Where, klass: new () => T): Promise<Proxy<T>> {
    const id = `${klass.name.toLowerCase()}${++this.seq}`;
    const h = this.host(where);
    const spec = h === this.local ? klass : `tsactor-actors/${klass.name}`;
    return await h.spawn<T>(id, spec);
  }

  private async cached<T>(key: string, make: () => Promise<T>): Promise<T> {
    let v = this.cache.get(key) as T | undefined;
    if (v === undefined) {
      v = await make();
      this.cache.set(key, v);
    }
    return v;
  }

  async pingpong(n: number): Promise<Timed> {
    const { ping, pong } = await this.cached('pingpong', async () => {
      const ping = await this.spawnOne('local', Ping);
      const pong = await this.spawnOne('remote', Pong);
      ping.setPeer(pong);
      pong.setPeer(ping);
      return { ping, pong };
    });
    const t0 = now();
    const got = await ping.withTimeout(null).run(n);
    const ms = now() - t0;
    expectEqual('pongs received by ping', got, n);
    expectEqual('pings received by pong', await pong.take(), n);
    return { ms };
  }

  async counting(n: number): Promise<Timed> {
    const counter = await this.cached('counting', () => this.spawnOne('remote', Counter));
    return countTo(
      n,
      this.round,
      () => counter.inc(),
      () => counter.withTimeout(null).take(),
    );
  }

  async threadring(hops: number, ringSize: number): Promise<Timed> {
    const { ring, sink } = await this.cached('threadring', async () => {
      const sink = await this.spawnOne('local', Sink);
      const ring: Array<Proxy<RingNode>> = [];
      for (let i = 0; i < ringSize; i++) ring.push(await this.spawnOne(i % 2 === 0 ? 'local' : 'remote', RingNode));
      for (let i = 0; i < ringSize; i++) ring[i]!.link(ring[(i + 1) % ringSize]!, sink);
      return { ring, sink };
    });
    const t0 = now();
    const finished = sink.withTimeout(null).wait();
    ring[0]!.token(hops);
    await finished;
    const ms = now() - t0;
    let seen = 0;
    for (const node of ring) seen += await node.take();
    expectEqual('tokens seen around the ring', seen, hops + 1);
    return { ms };
  }

  async forkjoin(perActor: number, actors: number): Promise<Timed> {
    const counters = await this.cached('forkjoin', async () => {
      const cs: Array<Proxy<Counter>> = [];
      for (let i = 0; i < actors; i++) cs.push(await this.spawnOne('remote', Counter));
      return cs;
    });
    const t0 = now();
    const counts = await tellInRounds(
      perActor,
      actors,
      Math.ceil(this.round / actors),
      (k) => counters[k]!.inc(),
      (k) => counters[k]!.withTimeout(null).take(),
    );
    const ms = now() - t0;
    counts.forEach((c, k) => expectEqual(`count of fork-join actor ${k}`, c, perActor));
    return { ms };
  }

  async askLatency(n: number): Promise<Timed> {
    const echo = await this.cached('echo', () => this.spawnOne('remote', Echo));
    return sequentialAsks(n, (i) => echo.echo(i));
  }

  async askThroughput(n: number, window: number): Promise<Timed> {
    const echo = await this.cached('echo', () => this.spawnOne('remote', Echo));
    return pipelinedAsks(n, window, (i) => echo.echo(i));
  }

  /** Spawns n Idle actors with ids prefix0..prefix(n-1) in batches; returns the time. */
  private async spawnMany(where: Where, prefix: string, n: number): Promise<number> {
    const h = this.host(where);
    const spec = h === this.local ? Idle : 'tsactor-actors/Idle';
    const t0 = now();
    for (let i = 0; i < n; i += SPAWN_BATCH) {
      const batch: Array<PromiseLike<unknown>> = [];
      for (let j = i; j < Math.min(n, i + SPAWN_BATCH); j++) batch.push(h.spawn(prefix + j, spec as never));
      await Promise.all(batch);
    }
    return now() - t0;
  }

  private async checkSpawned(where: Where, prefix: string, n: number): Promise<void> {
    const h = this.host(where);
    const step = Math.max(1, Math.floor(n / 50));
    for (let i = 0; i < n; i += step) {
      const p = await h.lookup<Idle>(prefix + i);
      expectEqual(`spawned actor ${prefix + i} answers`, await p.ping(), 1);
    }
    expectEqual(`last spawned actor exists`, await h.hasActor(prefix + (n - 1)), true);
  }

  private async stopMany(where: Where, prefix: string, n: number): Promise<void> {
    if (where === 'remote' && this.control !== null) {
      expectEqual('actors stopped', await this.control.withTimeout(null).stopAll(prefix, n), n);
      return;
    }
    const h = this.host(where);
    for (let i = 0; i < n; i += SPAWN_BATCH) {
      const batch: Array<PromiseLike<unknown>> = [];
      for (let j = i; j < Math.min(n, i + SPAWN_BATCH); j++) batch.push(h.stopActor(prefix + j));
      await Promise.all(batch);
    }
  }

  async spawn(n: number): Promise<Timed> {
    const prefix = `s${++this.seq}_`;
    const ms = await this.spawnMany('remote', prefix, n);
    await this.checkSpawned('remote', prefix, n);
    await this.stopMany('remote', prefix, n);
    return { ms };
  }

  async memory(n: number): Promise<Timed> {
    if (this.kind === 'threads') throw new Error('unreachable');
    const remote = this.control !== null;
    const heap = async (): Promise<number> => {
      if (remote) return this.control!.heap();
      await fullGc();
      return heapUsed();
    };
    const prefix = `m${++this.seq}_`;
    const before = await heap();
    await this.spawnMany('remote', prefix, n);
    const after = await heap();
    await this.checkSpawned('remote', prefix, n);
    await this.stopMany('remote', prefix, n);
    return { ms: 0, bytesPerActor: (after - before) / n };
  }
}

/** The workloads a kind runs (memory is measured where the actors' heap can be read). */
export function makeTsactorTarget(kind: TsactorKind): TargetImpl {
  const t = new TsactorTarget(kind);
  if (kind === 'threads') (t as { memory?: unknown }).memory = undefined;
  return t;
}

/**
 * Core's inbound delivery (deliverInbound) and outbound packing (packCall), driven the way
 * a third-party transport drives them: a fake transport port records the answers and the
 * refusals, a fake host binding records what reaches the actor.
 */
import * as path from 'node:path';
import {
  ActorError,
  ClassRef,
  EnvelopeKind,
  HOST_DESCRIPTION,
  HostDownError,
  NotFoundError,
  REF,
  ASK,
  TELL,
  deliverInbound,
  internDescription,
  isHostAddress,
  makeProxy,
  packCall,
  packValue,
  tokenMatches,
  unpackError,
  unpackValue,
  type ActorAddress,
  type ActorCell,
  type ActorChannel,
  type AnswerKind,
  type Envelope,
  type HostBinding,
  type HostOptions,
  type InboundPort,
  type PackedValue,
  type Reply,
} from '@tsactor/core/internal';
import { Spawnable } from './fixtures/spawnable';

const BASE = 'fake://127.0.0.1:1/';
const FIXTURES = path.join(__dirname, 'fixtures');

interface Delivered {
  readonly method: string;
  readonly args: unknown[];
  readonly reply: Reply | null;
}

/** A host with the actor 'echo' (a Echo with @Ask echo, @Tell poke) living on a fake cell. */
function fakeHost(options: HostOptions = {}): { host: HostBinding & { closed: boolean }; delivered: Delivered[]; sent: Delivered[] } {
  const delivered: Delivered[] = [];
  const sent: Delivered[] = [];
  const cell = {
    enqueue(method: string, args: unknown[], reply: Reply | null): void {
      delivered.push({ method, args, reply });
    },
  } as unknown as ActorCell;
  const channel: ActorChannel = {
    alive: true,
    send(_t: ActorAddress, method: string, args: unknown[], reply: Reply | null): void {
      sent.push({ method, args, reply });
    },
  };
  const hostAddress: ActorAddress = { url: BASE, base: BASE, id: '', desc: HOST_DESCRIPTION };
  const echo: ActorAddress = {
    url: `${BASE}echo`,
    base: BASE,
    id: 'echo',
    desc: internDescription({ name: 'Echo', methods: { echo: ASK, poke: TELL, share: ASK | REF } }),
  };
  const remote: ActorAddress = {
    url: `${BASE}far`,
    base: BASE,
    id: 'far',
    desc: internDescription({ name: 'Far', methods: { ping: ASK } }),
  };
  const host = {
    url: BASE,
    base: BASE,
    id: '',
    options,
    closed: false,
    address: hostAddress,
    lost(): void {},
    target(id: string) {
      if (id === '') return { channel, address: hostAddress, cell };
      if (id === 'echo') return { channel, address: echo, cell };
      if (id === 'far') return { channel, address: remote, cell: null };
      return null;
    },
  };
  return { host, delivered, sent };
}

interface Answer {
  readonly id: number;
  readonly kind: AnswerKind;
  readonly value: PackedValue;
}

/** The fake transport: answers are recorded; a context of 'no-reply' cannot be answered. */
class FakePort implements InboundPort<string> {
  readonly answers: Answer[] = [];
  readonly refusals: Array<{ env: Envelope; error: Error; context: string }> = [];
  constructor(
    readonly maxMessageSize = 1 << 20,
    private readonly trustedPeer = false,
  ) {}
  trusted(): boolean {
    return this.trustedPeer;
  }
  canAnswer(context: string): boolean {
    return context !== 'no-reply';
  }
  answer(_context: string, id: number, kind: AnswerKind, value: PackedValue): void {
    this.answers.push({ id, kind, value });
  }
  refused(context: string, env: Envelope, error: Error): void {
    this.refusals.push({ env, error, context });
  }
  /** The error of the ERROR answer to ask `id`. */
  error(id: number): Error {
    const a = this.answers.find((x) => x.id === id);
    expect(a?.kind).toBe(EnvelopeKind.ERROR);
    return unpackError(a!.value as Uint8Array, { owner: null });
  }
}

function bytes(value: unknown): Buffer {
  return packValue(value, { refs: false, where: 'test' });
}

function envelope(fields: Partial<Envelope>): Envelope {
  return {
    kind: EnvelopeKind.ASK,
    id: 1,
    target: 'echo',
    method: 'echo',
    args: bytes([]),
    ctorArgs: null,
    value: null,
    sender: '',
    ...fields,
  };
}

/** Reads a packed value (JSON text or bytes) back. */
function unpack(p: PackedValue): unknown {
  return unpackValue(typeof p === 'string' ? Buffer.from(`J${p}`, 'utf8') : p, { owner: null });
}

describe('deliverInbound', () => {
  test('a good ask reaches the cell with its arguments; its result goes back through the port as RESULT', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 7, args: bytes(['hi', 2]) }), port, 'ctx');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.method).toBe('echo');
    expect(delivered[0]!.args).toEqual(['hi', 2]);
    delivered[0]!.reply!.resolve({ said: 'hi' });
    delivered[0]!.reply!.resolve('a second answer is ignored');
    expect(port.answers).toHaveLength(1);
    expect(port.answers[0]!.id).toBe(7);
    expect(port.answers[0]!.kind).toBe(EnvelopeKind.RESULT);
    expect(unpack(port.answers[0]!.value)).toEqual({ said: 'hi' });
  });

  test('an actor of another thread (no cell) gets the call through its channel', () => {
    const { host, sent } = fakeHost();
    deliverInbound(host, envelope({ target: 'far', method: 'ping', args: bytes([1]) }), new FakePort(), 'ctx');
    expect(sent.map((s) => [s.method, s.args])).toEqual([['ping', [1]]]);
  });

  test('a rejected ask is answered with the error; a result that cannot travel becomes an ERROR', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 1 }), port, 'ctx');
    deliverInbound(host, envelope({ id: 2 }), port, 'ctx');
    delivered[0]!.reply!.reject(new NotFoundError('gone'));
    delivered[1]!.reply!.resolve(() => 'a function cannot travel');
    expect(port.error(1)).toBeInstanceOf(NotFoundError);
    expect(port.error(1).message).toBe('gone');
    expect(port.error(2).message).toMatch(/Echo\.echo/);
  });

  test('unknown actor: NotFoundError naming the actor and the host', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 3, target: 'ghost' }), port, 'ctx');
    const e = port.error(3);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe(`no actor 'ghost' on host ${BASE} (echo() not delivered); spawn it first or check the id`);
    expect(delivered).toHaveLength(0);
  });

  test('unknown method, and names every object inherits, are UNKNOWN_METHOD and never reach the actor', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    const names = ['nope', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];
    names.forEach((method, i) => deliverInbound(host, envelope({ id: 10 + i, method }), port, 'ctx'));
    names.forEach((method, i) => {
      const e = port.error(10 + i) as ActorError;
      expect(e).toBeInstanceOf(ActorError);
      expect(e.code).toBe('UNKNOWN_METHOD');
      expect(e.message).toBe(`Echo (${BASE}echo) has no @Tell or @Ask method '${method}'`);
    });
    expect(delivered).toHaveLength(0);
  });

  test('arguments that are not a list, or not a value, are MALFORMED', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 1, args: bytes('x') }), port, 'ctx');
    deliverInbound(host, envelope({ id: 2, args: bytes({ 0: 'a', length: 1 }) }), port, 'ctx');
    deliverInbound(host, envelope({ id: 3, args: Buffer.from('J{not json') }), port, 'ctx');
    for (const id of [1, 2]) {
      const e = port.error(id) as ActorError;
      expect(e.code).toBe('MALFORMED');
      expect(e.message).toBe('malformed message to Echo.echo: the arguments are not a list');
    }
    expect((port.error(3) as ActorError).code).toBe('MALFORMED');
    expect(delivered).toHaveLength(0);
  });

  test('a closed host refuses with HostDownError', () => {
    const { host, delivered } = fakeHost();
    host.closed = true;
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 4 }), port, 'ctx');
    const e = port.error(4);
    expect(e).toBeInstanceOf(HostDownError);
    expect(e.message).toBe(`host ${BASE} is shut down; echo() not handled`);
    expect(delivered).toHaveLength(0);
  });

  test('arguments over the port limit are TOO_LARGE', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort(16);
    deliverInbound(host, envelope({ id: 5, args: bytes(['x'.repeat(32)]) }), port, 'ctx');
    const e = port.error(5) as ActorError;
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/^Echo\.echo: the message is \d+ bytes, over the 16-byte limit of host fake:/);
    expect(delivered).toHaveLength(0);
  });

  test('a refused tell, and a refused ask the transport cannot answer, go to port.refused', () => {
    const { host } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ kind: EnvelopeKind.TELL, id: 0, target: 'ghost', method: 'poke' }), port, 'ctx');
    deliverInbound(host, envelope({ id: 9, method: 'nope' }), port, 'no-reply');
    deliverInbound(host, envelope({ id: 0, method: 'nope' }), port, 'ctx');
    expect(port.answers).toHaveLength(0);
    expect(port.refusals.map((r) => [r.env.method, r.error.constructor.name, r.context])).toEqual([
      ['poke', 'NotFoundError', 'ctx'],
      ['nope', 'ActorError', 'no-reply'],
      ['nope', 'ActorError', 'ctx'],
    ]);
  });

  test('an ask the transport cannot answer is still delivered, without a reply', () => {
    const { host, delivered } = fakeHost();
    deliverInbound(host, envelope({ id: 9 }), new FakePort(), 'no-reply');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.reply).toBeNull();
  });

  test('envelopes that are neither tells nor asks are refused as MALFORMED', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ kind: 0, id: 0, method: 'malformed message: truncated' }), port, 'ctx');
    deliverInbound(host, envelope({ kind: EnvelopeKind.RESULT, id: 3 }), port, 'ctx');
    expect(port.answers).toHaveLength(0);
    expect(port.refusals.map((r) => [(r.error as ActorError).code, r.error.message])).toEqual([
      ['MALFORMED', `host ${BASE} dropped an envelope: malformed message: truncated`],
      ['MALFORMED', `host ${BASE} dropped an envelope: an envelope of kind 3 is neither a tell nor an ask`],
    ]);
    expect(delivered).toHaveLength(0);
  });
});

describe('deliverInbound: remote spawn', () => {
  const garbage = Buffer.from([0x4a, 0x7b, 0x7b, 0x7b]); // 'J{{{': not JSON

  function spawn(fields: Partial<Envelope>): Envelope {
    return envelope({ target: '', method: 'spawn', ...fields });
  }

  test('the class is resolved in the module root before the constructor arguments are decoded', () => {
    const { host, delivered } = fakeHost({ moduleRoot: FIXTURES });
    const port = new FakePort();
    deliverInbound(host, spawn({ id: 1, args: bytes(['s1', 'spawnable/Spawnable']), ctorArgs: bytes(['hello']) }), port, 'ctx');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.args).toEqual(['s1', Spawnable, 'hello']);
    // no constructor arguments at all
    deliverInbound(host, spawn({ id: 2, args: bytes(['s2', 'spawnable/Spawnable']), ctorArgs: null }), port, 'ctx');
    expect(delivered[1]!.args).toEqual(['s2', Spawnable]);
    expect(port.answers).toHaveLength(0);
  });

  test('a refused class with broken constructor arguments is refused for the class, not for the arguments', () => {
    const { host, delivered } = fakeHost({ moduleRoot: FIXTURES });
    const port = new FakePort();
    deliverInbound(host, spawn({ id: 1, args: bytes(['z1', '../evil/Class']), ctorArgs: garbage }), port, 'ctx');
    expect((port.error(1) as ActorError).code).toBe('SPAWN_REFUSED');
    // an allowed class with the same broken arguments: now they are decoded, and refused as malformed
    deliverInbound(host, spawn({ id: 2, args: bytes(['z2', 'spawnable/Spawnable']), ctorArgs: garbage }), port, 'ctx');
    expect((port.error(2) as ActorError).code).toBe('MALFORMED');
    deliverInbound(host, spawn({ id: 3, args: bytes(['z3', 'spawnable/Spawnable']), ctorArgs: bytes('x') }), port, 'ctx');
    expect(port.error(3).message).toBe(`malformed message to ${BASE}: the constructor arguments of spawn are not a list`);
    expect(delivered).toHaveLength(0);
  });

  test('a head that is not [id, class] is MALFORMED', () => {
    const { host, delivered } = fakeHost({ moduleRoot: FIXTURES });
    const port = new FakePort();
    deliverInbound(host, spawn({ id: 1, args: bytes(['z', 'spawnable/Spawnable', 'smuggled']) }), port, 'ctx');
    deliverInbound(host, spawn({ id: 2, args: bytes(['z', 42]) }), port, 'ctx');
    deliverInbound(host, spawn({ id: 3, args: bytes('z') }), port, 'ctx');
    expect(port.error(1).message).toBe(`malformed message to ${BASE}: spawn expects [id, class] before the constructor arguments`);
    expect((port.error(2) as ActorError).code).toBe('MALFORMED');
    expect(port.error(2).message).toBe(`spawn('z', ...) on ${BASE}: expected an @Actor class or 'module/Class', got number`);
    expect((port.error(3) as ActorError).code).toBe('MALFORMED');
    expect(delivered).toHaveLength(0);
  });

  test('a host created with remoteSpawn: false refuses before reading anything', () => {
    const { host, delivered } = fakeHost({ moduleRoot: FIXTURES, remoteSpawn: false });
    const port = new FakePort();
    deliverInbound(host, spawn({ id: 1, args: garbage, ctorArgs: garbage }), port, 'ctx');
    const e = port.error(1) as ActorError;
    expect(e.code).toBe('SPAWN_REFUSED');
    expect(e.message).toBe(`host ${BASE} refuses remote spawn (it was created with remoteSpawn: false)`);
    expect(delivered).toHaveLength(0);
  });

  test("a method named 'spawn' of an ordinary actor is not a remote spawn", () => {
    const { host } = fakeHost({ moduleRoot: FIXTURES, remoteSpawn: false });
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 1, method: 'spawn' }), port, 'ctx');
    expect((port.error(1) as ActorError).code).toBe('UNKNOWN_METHOD');
  });
});

describe('deliverInbound: @Ref on the receiving side', () => {
  test('a reference to a method without @Ref is refused with REF_REQUIRED, even if the sender let it through', () => {
    const { host, delivered } = fakeHost();
    const port = new FakePort();
    const ref = makeProxy(
      {
        url: 'local://elsewhere:1/echo',
        base: 'local://elsewhere:1/',
        id: 'echo',
        desc: internDescription({ name: 'Echo', methods: { echo: ASK } }),
      },
      { owner: null },
    );
    // packed as a @Ref method's arguments would be, then sent to 'echo', which is not @Ref
    const withRef = packValue([ref], { refs: true, where: 'test' });
    deliverInbound(host, envelope({ id: 1, method: 'echo', args: withRef }), port, 'ctx');
    expect((port.error(1) as ActorError).code).toBe('REF_REQUIRED');
    expect(port.error(1).message).toMatch(/Echo\.echo was given an actor proxy but is not marked @Ref/);
    expect(delivered).toHaveLength(0);
    deliverInbound(host, envelope({ id: 2, method: 'share', args: withRef }), port, 'ctx');
    expect(delivered.map((d) => d.method)).toEqual(['share']);
  });
});

describe('deliverInbound: what a peer may do', () => {
  test('stopActor from a peer is refused unless the host has remoteStop: true', () => {
    const closed = fakeHost();
    const port = new FakePort();
    deliverInbound(closed.host, envelope({ id: 1, target: '', method: 'stopActor', args: bytes(['echo']) }), port, 'ctx');
    expect((port.error(1) as ActorError).code).toBe('STOP_REFUSED');
    expect(port.error(1).message).toBe(`host ${BASE} does not let peers stop its actors; create it with { remoteStop: true } to allow it`);
    expect(closed.delivered).toHaveLength(0);
    const open = fakeHost({ remoteStop: true });
    deliverInbound(open.host, envelope({ id: 2, target: '', method: 'stopActor', args: bytes(['echo']) }), port, 'ctx');
    expect(open.delivered.map((d) => [d.method, d.args])).toEqual([['stopActor', ['echo']]]);
  });

  test('death-watch calls are taken from trusted peers only', () => {
    const { host, delivered } = fakeHost();
    const untrusted = new FakePort();
    deliverInbound(
      host,
      envelope({ id: 1, target: '', method: 'actorTerminated', kind: EnvelopeKind.ASK, args: bytes([`${BASE}echo`, 'stopped']) }),
      untrusted,
      'ctx',
    );
    expect((untrusted.error(1) as ActorError).code).toBe('WATCH_REFUSED');
    expect(untrusted.error(1).message).toMatch(/only from peers that proved the host's token/);
    const trusted = new FakePort(1 << 20, true);
    deliverInbound(
      host,
      envelope({ id: 2, target: '', method: 'actorTerminated', args: bytes([`${BASE}echo`, 'stopped']) }),
      trusted,
      'ctx',
    );
    expect(delivered.map((d) => d.method)).toEqual(['actorTerminated']);
  });

  test("an untrusted peer may look up this host's actors only; a trusted one anything", () => {
    const { host, delivered } = fakeHost();
    const untrusted = new FakePort();
    deliverInbound(host, envelope({ id: 1, target: '', method: 'lookupUrl', args: bytes([`${BASE}echo`]) }), untrusted, 'ctx');
    deliverInbound(host, envelope({ id: 2, target: '', method: 'lookupUrl', args: bytes(['grpc://10.0.0.9:22/']) }), untrusted, 'ctx');
    expect((untrusted.error(2) as ActorError).code).toBe('LOOKUP_REFUSED');
    expect(untrusted.error(2).message).toMatch(
      /ask the host at grpc:\/\/10\.0\.0\.9:22\/ directly, or give both hosts the same \{ token \}/,
    );
    const trusted = new FakePort(1 << 20, true);
    deliverInbound(host, envelope({ id: 3, target: '', method: 'lookupUrl', args: bytes(['grpc://10.0.0.9:22/']) }), trusted, 'ctx');
    expect(delivered.map((d) => d.args[0])).toEqual([`${BASE}echo`, 'grpc://10.0.0.9:22/']);
  });

  test('errors reach untrusted peers without their stacks (unless exposeStacks), trusted peers with them', () => {
    const thrown = new Error('boom');
    const stackOf = (options: HostOptions, trusted: boolean): string => {
      const { host, delivered } = fakeHost(options);
      const port = new FakePort(1 << 20, trusted);
      deliverInbound(host, envelope({ id: 1 }), port, 'ctx');
      delivered[0]!.reply!.reject(thrown);
      return port.error(1).stack ?? '';
    };
    expect(stackOf({}, false)).toBe('Error: boom');
    expect(stackOf({}, true)).toContain(__filename);
    expect(stackOf({ exposeStacks: true }, false)).toContain(__filename);
    // refusals too
    const { host } = fakeHost();
    const port = new FakePort();
    deliverInbound(host, envelope({ id: 1, target: 'nobody' }), port, 'ctx');
    expect(port.error(1).stack).not.toMatch(/\n\s+at /);
  });
});

describe('packCall', () => {
  const host: ActorAddress = { url: BASE, base: BASE, id: '', desc: HOST_DESCRIPTION };
  const echo: ActorAddress = {
    url: `${BASE}echo`,
    base: BASE,
    id: 'echo',
    desc: internDescription({ name: 'Echo', methods: { echo: ASK, poke: TELL } }),
  };

  test('a tell and an ask: kind, target, method and the argument list; the id is left to the transport', () => {
    const tell = packCall(echo, 'poke', [1, 'a'], null);
    expect([tell.kind, tell.id, tell.target, tell.method, tell.ctorArgs]).toEqual([EnvelopeKind.TELL, 0, 'echo', 'poke', null]);
    expect(unpack(tell.args!)).toEqual([1, 'a']);
    const ask = packCall(echo, 'echo', [], { resolve() {}, reject() {} }, 'fake://me/');
    expect([ask.kind, ask.id, ask.sender]).toEqual([EnvelopeKind.ASK, 0, 'fake://me/']);
  });

  test('a spawn to a host is split: [id, class] first, the constructor arguments apart', () => {
    const env = packCall(host, 'spawn', ['w1', Spawnable, 'label', 2], { resolve() {}, reject() {} });
    const head = unpack(env.args!) as unknown[];
    expect(head[0]).toBe('w1');
    expect(head[1]).toBeInstanceOf(ClassRef);
    expect((head[1] as ClassRef).name).toBe('Spawnable');
    expect(unpack(env.ctorArgs!)).toEqual(['label', 2]);
  });

  test('isHostAddress: a Host description, not any actor named Host', () => {
    expect(isHostAddress(host)).toBe(true);
    expect(isHostAddress(echo)).toBe(false);
    const impostor = { ...echo, desc: internDescription({ name: 'Host', methods: { spawn: ASK } }) };
    expect(isHostAddress(impostor)).toBe(false);
  });
});

describe('tokenMatches', () => {
  test('only the same string matches', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cre', 's3cret')).toBe(false);
    expect(tokenMatches('', 's3cret')).toBe(false);
    expect(tokenMatches('other', 'another')).toBe(false);
    expect(tokenMatches(undefined, 's3cret')).toBe(false);
    expect(tokenMatches(Buffer.from('s3cret'), 's3cret')).toBe(false);
    expect(tokenMatches(undefined, '')).toBe(false);
    expect(tokenMatches('', '')).toBe(true);
  });
});

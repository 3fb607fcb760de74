/**
 * Delivery of the calls a host receives from the network, the same for every transport.
 * A transport decodes its frames into envelopes and hands each one to {@link deliverInbound}
 * with an {@link InboundPort}, its way of answering; it keeps only framing, connections and
 * acknowledgement.
 *
 * Checks, in this order, before anything reaches an actor: the kind (a tell or an ask), the
 * host (not shut down), the target (an actor of this host, or the host), the method (a
 * `@Tell` or `@Ask` method the target's description has as its own: no inherited name such as
 * 'constructor'), the size, the argument list, and for a spawn to the host the class
 * (remote spawn allowed, module inside the module root, `@Actor`) before the constructor
 * arguments are decoded at all. Every refusal is an ERROR answer to an ask, or, for a tell,
 * a report on this side.
 */
import { ActorError, HostDownError, NotFoundError, toError } from '../errors';
import { reportError, type Reply } from '../channel';
import { REF, type ActorDescription } from '../actor/metadata';
import type { ActorCell } from '../actor/cell';
import { ClassRef } from '../wire/codec';
import { EnvelopeKind, payloadLength, type Envelope, type PackedValue } from '../wire/frame';
import { encodeText, flatJson, packError, unpackArgs, unpackValue } from '../wire/value';
import { limitsForSize, type WireLimits } from '../wire/limits';
import { resolveRemoteSpawnClass } from './resolve-class';
import { splitUrl } from '../wire/codec';
import type { HostBinding } from './registry';
import { clearIncoming, observing, setIncoming } from '../observe/state';

/** The kinds of the envelope that answers an ask. */
export type AnswerKind = typeof EnvelopeKind.RESULT | typeof EnvelopeKind.ERROR;

/**
 * How a transport answers the calls it received. `C` is what the transport needs to find
 * the way back (e.g. the reply queue named by a message); it is passed through untouched.
 */
export interface InboundPort<C> {
  /** the largest arguments (bytes, constructor arguments included) delivered to an actor */
  readonly maxMessageSize: number;
  /** True when an ask received with `context` can be answered (else it is handled as a tell). */
  canAnswer(context: C): boolean;
  /**
   * Sends the answer of the ask `id`: the packed result (RESULT) or error (ERROR).
   * `call.where` names the method (e.g. 'Counter.add'), for an error about the answer
   * itself; it is made when read.
   */
  answer(context: C, id: number, kind: AnswerKind, value: PackedValue, call: { readonly where: string }): void;
  /** A call that cannot be answered was refused (a tell, a malformed envelope): report it (see {@link reportRefused}). */
  refused(context: C, env: Envelope, error: Error): void;
  /**
   * True when the peer proved who it is (the host's token, a TLS client certificate) or
   * reaches the host from this machine. Untrusted peers get errors without stacks (unless
   * the host has `exposeStacks`) and may look up only this host's actors. Default: untrusted.
   */
  trusted?(context: C): boolean;
  /**
   * For a transport that acknowledges a tell only once it is handled: the reply slot of a
   * tell about to reach its actor (`url`: the actor's URL), whose `resolve` or `reject` is
   * called when the method returned or its promise settled (`reject` with the error the
   * method threw, or why the tell was not handled: the transport reports it as a failed
   * tell). Without it (or when it returns null) tells carry no reply.
   */
  tellReply?(context: C, env: Envelope, url: string): Reply | null;
}

/** Whether errors answered to this peer keep their stacks. */
function stacksTo<C>(host: HostBinding, port: InboundPort<C>, context: C): boolean {
  return host.options.exposeStacks === true || (port.trusted?.(context) ?? false);
}

/**
 * The decoding options of a received call's arguments. The name of the method ('Class.method')
 * that refuses references is made only when a reference is found: a call pays for no string.
 */
class CallDecode {
  constructor(
    readonly owner: ActorCell | null,
    readonly timeout: number,
    readonly limits: Partial<WireLimits> | undefined,
    private readonly desc: ActorDescription,
    private readonly method: string,
    private readonly refs: boolean,
  ) {}

  /** Set when the receiving method is not `@Ref` (see DecodeOptions). */
  get refusesRefs(): string | undefined {
    return this.refs ? undefined : `${this.desc.name}.${this.method}`;
  }
}

/** The answer slot of an ask received from a peer: packs the result and hands it to the port. */
class InboundReply<C> implements Reply {
  private done = false;
  constructor(
    private readonly port: InboundPort<C>,
    private readonly context: C,
    private readonly id: number,
    private readonly refs: boolean,
    private readonly desc: ActorDescription,
    private readonly method: string,
    private readonly stacks: boolean,
  ) {}

  /** 'Class.method', made when an answer needs it (not per call) */
  get where(): string {
    return `${this.desc.name}.${this.method}`;
  }

  resolve(value: unknown): void {
    if (this.done) return;
    this.done = true;
    let packed: PackedValue;
    try {
      // a result that is plain JSON needs no encoding options
      packed = flatJson(value) ?? encodeText(value, { refs: this.refs, where: `the result of ${this.where}` });
    } catch (e) {
      this.port.answer(this.context, this.id, EnvelopeKind.ERROR, packError(e, this.where, this.stacks), this);
      return;
    }
    this.port.answer(this.context, this.id, EnvelopeKind.RESULT, packed, this);
  }

  reject(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.port.answer(this.context, this.id, EnvelopeKind.ERROR, packError(error, this.where, this.stacks), this);
  }
}

/**
 * Reports a refused call that nobody can be answered about, through the error handler
 * (setErrorHandler): a tell as a tell of its target, anything else as an internal error.
 */
export function reportRefused(host: HostBinding, env: Envelope, error: Error): void {
  if (env.kind === EnvelopeKind.TELL || env.kind === EnvelopeKind.ASK) {
    reportError(error, { actor: host.base + env.target, method: env.method || '?', kind: 'tell' });
  } else {
    reportError(error, { actor: host.base, method: 'receive', kind: 'internal' });
  }
}

/**
 * Refuses one received envelope: an ERROR answer to an ask that can be answered, else
 * `port.refused`. `stacks`: whether the answer keeps the error's stack (no, by default).
 */
export function refuseInbound<C>(env: Envelope, port: InboundPort<C>, context: C, error: Error, stacks = false): void {
  if (env.kind === EnvelopeKind.ASK && env.id !== 0 && port.canAnswer(context)) {
    port.answer(context, env.id, EnvelopeKind.ERROR, packError(error, env.method, stacks), { where: env.method });
  } else {
    port.refused(context, env, error);
  }
}

const own = Object.prototype.hasOwnProperty;

/**
 * The Host methods of death watch across processes: an untrusted peer could make this host
 * notify an address it names, or fake the end of an actor this process watches.
 */
const WATCH_METHODS: ReadonlySet<string> = new Set(['watchActor', 'unwatchActor', 'actorTerminated']);

/**
 * Checks one envelope received by `host` and hands the call to its actor (or to the host
 * itself); an ask's answer goes back through `port`. Never throws: a refused call is
 * answered with an error or reported (see the module comment for the checks).
 */
export function deliverInbound<C>(host: HostBinding, env: Envelope, port: InboundPort<C>, context: C): void {
  if (env.kind !== EnvelopeKind.TELL && env.kind !== EnvelopeKind.ASK) {
    const why = env.kind === 0 ? env.method : `an envelope of kind ${env.kind} is neither a tell nor an ask`;
    refuseInbound(env, port, context, new ActorError(`host ${host.base} dropped an envelope: ${why}`, { code: 'MALFORMED' }));
    return;
  }
  if (host.closed) {
    refuseInbound(env, port, context, new HostDownError(`host ${host.base} is shut down; ${env.method}() not handled`));
    return;
  }
  const t = host.target(env.target);
  if (t === null) {
    refuseInbound(
      env,
      port,
      context,
      new NotFoundError(`no actor '${env.target}' on host ${host.base} (${env.method}() not delivered); spawn it first or check the id`),
    );
    return;
  }
  const desc = t.address.desc;
  const flags = own.call(desc.methods, env.method) ? desc.methods[env.method] : undefined;
  if (typeof flags !== 'number') {
    refuseInbound(
      env,
      port,
      context,
      new ActorError(`${desc.name} (${t.address.url}) has no @Tell or @Ask method '${env.method}'`, { code: 'UNKNOWN_METHOD' }),
    );
    return;
  }
  const size = payloadLength(env);
  if (size > port.maxMessageSize) {
    const where = `${desc.name}.${env.method}`;
    refuseInbound(
      env,
      port,
      context,
      new ActorError(
        `${where}: the message is ${size} bytes, over the ${port.maxMessageSize}-byte limit of host ${host.base}; send less data per message`,
        {
          code: 'TOO_LARGE',
        },
      ),
    );
    return;
  }
  // the receiving side enforces `@Ref` too: a reference to a method without it is refused
  const decode = new CallDecode(
    t.cell,
    host.options.timeout ?? 10,
    limitsForSize(port.maxMessageSize),
    desc,
    env.method,
    (flags & REF) !== 0,
  );
  let args: unknown[];
  try {
    if (t.address === host.address && env.method === 'spawn') {
      args = spawnArgs(host, env, decode);
    } else {
      if (t.address === host.address && WATCH_METHODS.has(env.method) && port.trusted?.(context) !== true) {
        throw new ActorError(
          `host ${host.base} takes death-watch calls (${env.method}) only from peers that proved the host's token or a client certificate, or connect from this machine; give both hosts the same { token }`,
          { code: 'WATCH_REFUSED' },
        );
      }
      if (t.address === host.address && env.method === 'stopActor' && host.options.remoteStop !== true) {
        throw new ActorError(`host ${host.base} does not let peers stop its actors; create it with { remoteStop: true } to allow it`, {
          code: 'STOP_REFUSED',
        });
      }
      const a = unpackArgs(env, decode);
      if (!Array.isArray(a)) {
        throw new ActorError(`malformed message to ${desc.name}.${env.method}: the arguments are not a list`, { code: 'MALFORMED' });
      }
      args = a;
      if (t.address === host.address && env.method === 'lookupUrl' && port.trusted?.(context) !== true) checkPeerLookup(host, a[0]);
    }
  } catch (e) {
    refuseInbound(env, port, context, toError(e), stacksTo(host, port, context));
    return;
  }
  const reply =
    env.kind === EnvelopeKind.ASK && env.id !== 0 && port.canAnswer(context)
      ? new InboundReply(port, context, env.id, (flags & REF) !== 0, desc, env.method, stacksTo(host, port, context))
      : port.tellReply !== undefined
        ? port.tellReply(context, env, t.address.url)
        : null;
  if (observing.on) setIncoming(env.traceparent, env.tracestate, env.sender);
  if (t.cell !== null) t.cell.enqueue(env.method, args, reply);
  else t.channel.send(t.address, env.method, args, reply);
  if (observing.on) clearIncoming();
}

/**
 * An untrusted peer may look up actors of this host only: a host never connects somewhere
 * because such a peer named the place (no probing of other addresses through it).
 */
function checkPeerLookup(host: HostBinding, url: unknown): void {
  if (typeof url !== 'string') return; // the Host actor answers a bad argument itself
  let base: string;
  try {
    base = splitUrl(url).base;
  } catch {
    return;
  }
  if (base !== host.base) {
    throw new ActorError(
      `host ${host.base} looks up only its own actors for peers that did not prove the host's token; ask the host at ${base} directly, or give both hosts the same { token }`,
      { code: 'LOOKUP_REFUSED' },
    );
  }
}

/**
 * The arguments of a spawn to the host: [id, class] are read and the class checked (and
 * loaded) first; the constructor arguments are decoded only after that.
 */
function spawnArgs(host: HostBinding, env: Envelope, decode: CallDecode): unknown[] {
  // refused before anything of the message is decoded when the host takes no remote spawn
  if (host.options.remoteSpawn === false) resolveRemoteSpawnClass(null, host.options, host.base);
  const head = unpackValue(env.args, { owner: null, limits: decode.limits });
  if (!Array.isArray(head) || head.length > 2) {
    throw new ActorError(`malformed message to ${host.base}: spawn expects [id, class] before the constructor arguments`, {
      code: 'MALFORMED',
    });
  }
  const [id, klass] = head as [unknown, unknown];
  if (typeof klass !== 'string' && !(klass instanceof ClassRef)) {
    throw new ActorError(
      `spawn('${String(id)}', ...) on ${host.base}: expected an @Actor class or 'module/Class', got ${klass === null ? 'null' : typeof klass}`,
      {
        code: 'MALFORMED',
      },
    );
  }
  const { klass: resolved } = resolveRemoteSpawnClass(klass, host.options, host.base);
  const ctor = unpackValue(env.ctorArgs, decode);
  if (ctor !== undefined && !Array.isArray(ctor)) {
    throw new ActorError(`malformed message to ${host.base}: the constructor arguments of spawn are not a list`, { code: 'MALFORMED' });
  }
  return ctor === undefined ? [id, resolved] : [id, resolved, ...(ctor as unknown[])];
}

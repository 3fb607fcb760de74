/**
 * Packing of the calls a host sends over the network, the same for every transport: a
 * call (target, method, arguments, reply) becomes an envelope ready to be written.
 */
import { reportError, type ActorAddress, type Reply } from '../channel';
import { toError } from '../errors';
import { REF } from '../actor/metadata';
import { EnvelopeKind, type OutgoingEnvelope, type PackedValue } from '../wire/frame';
import { encodeText, flatJson, packValueText } from '../wire/value';
import { isHostAddress } from './host-address';
import { currentTraceparent, currentTracestate, observing, senderUrl } from '../observe/state';

const own = Object.prototype.hasOwnProperty;

/**
 * The envelope of a call: a tell when `reply` is null, else an ask (its `id` is 0: the
 * transport sets it once the envelope is packed). Proxies in the arguments travel as
 * references only when the method is `@Ref`. A spawn to a host is split: [id, class] in
 * `args`, the constructor arguments (which may always hold references) in `ctorArgs`, so
 * that the receiving host checks the class before it decodes them.
 *
 * Throws when a value cannot travel (a proxy to a method without `@Ref`, a function ...).
 */
export function packCall(target: ActorAddress, method: string, args: unknown[], reply: Reply | null, sender = ''): OutgoingEnvelope {
  let packed: PackedValue | null = flatJson(args);
  let ctorArgs: PackedValue | null = null;
  // the arguments of most calls are plain JSON: no options, no name of the method for errors
  if (packed === null || method === 'spawn') {
    const methods = target.desc.methods;
    const refs = ((own.call(methods, method) ? methods[method]! : 0) & REF) !== 0;
    const where = `${target.desc.name}.${method}`;
    if (method === 'spawn' && isHostAddress(target)) {
      packed = packValueText(args.slice(0, 2), { refs, where });
      ctorArgs = packValueText(args.slice(2), { refs: true, where: `the constructor arguments of ${where}` });
    } else {
      packed ??= encodeText(args, { refs, where });
    }
  }
  return {
    kind: reply === null ? EnvelopeKind.TELL : EnvelopeKind.ASK,
    id: 0,
    target: target.id,
    method,
    args: packed,
    ctorArgs,
    value: null,
    // the sender and its trace context travel while something observes (else '': nothing is written)
    sender: sender === '' && observing.on ? senderUrl() : sender,
    traceparent: observing.on ? currentTraceparent() : '',
    tracestate: observing.on ? currentTracestate() : '',
  };
}

/** A call that could not be sent: its ask rejects with `error`, a tell is reported. */
export function failCall(reply: Reply | null, target: ActorAddress, method: string, error: unknown): void {
  if (reply !== null) reply.reject(error);
  else reportError(toError(error), { actor: target.url, method, kind: 'tell' });
}

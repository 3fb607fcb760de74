import type { Proxy } from './proxy';
import type { HostProxy } from '../host/types';

/** The fields every actor gets from its runtime. */
export interface ActorFields {
  readonly id: string;
  readonly url: string;
  readonly proxy: Proxy<unknown>;
  readonly host: HostProxy;
}

let pending: ActorFields | null = null;

/**
 * Optional base class of actors. Its fields are set on every actor, whether it extends
 * this class or not, before its first message; a subclass of ActorBase has them already in
 * its constructor.
 */
export abstract class ActorBase {
  /** the actor's id on its host */
  declare readonly id: string;
  /** the actor's URL */
  declare readonly url: string;
  /** a proxy to this actor itself (pass it to others; it is a reference, not the object) */
  declare readonly proxy: Proxy<this>;
  /** a proxy to the actor's host */
  declare readonly host: HostProxy;

  constructor() {
    if (pending !== null) Object.assign(this, pending);
  }
}

/** @internal Constructs an actor object and sets its fields (used by runtimes). */
export function constructActor(klass: Function, args: unknown[], fields: ActorFields): object {
  const prev = pending;
  pending = fields;
  try {
    const instance = Reflect.construct(klass, args) as object;
    Object.assign(instance, fields);
    return instance;
  } finally {
    pending = prev;
  }
}

import type { Proxy } from './proxy';
import type { HostProxy } from '../host/types';
import type { ActorCell } from './cell';
// watch.ts reaches this module through the host; its functions are used only once actors run
import { unwatchFrom, watchFrom } from '../host/watch';

/** The fields every actor gets from its runtime. */
export interface ActorFields {
  readonly id: string;
  readonly url: string;
  readonly proxy: Proxy<unknown>;
  readonly host: HostProxy;
}

/**
 * The fields given lazily: `proxy` and `host` are made on first use, so an actor that never
 * reads them costs no proxies (an ActorCell is one of these).
 */
export interface LazyActorFields {
  readonly id: string;
  readonly url: string;
  selfProxy(): Proxy<unknown>;
  hostProxy(): HostProxy;
}

/** Where an actor object finds its lazy fields. */
const SOURCE = Symbol('tsactor.fields');

type Holder = { [SOURCE]?: LazyActorFields };

function isLazy(f: ActorFields | LazyActorFields): f is LazyActorFields {
  return typeof (f as Partial<LazyActorFields>).selfProxy === 'function';
}

/** Makes `name` an own data property of the actor object (as the eager fields are). */
function settle(obj: object, name: 'proxy' | 'host', value: unknown): unknown {
  Object.defineProperty(obj, name, { value, writable: true, enumerable: true, configurable: true });
  return value;
}

/** Accessors on a prototype of actor classes: the first read makes the proxy and keeps it. */
const LAZY_FIELDS: PropertyDescriptorMap = {
  proxy: {
    get(this: Holder): unknown {
      const s = this[SOURCE];
      return s === undefined ? undefined : settle(this, 'proxy', s.selfProxy());
    },
    set(this: object, v: unknown) {
      settle(this, 'proxy', v);
    },
    enumerable: false,
    configurable: true,
  },
  host: {
    get(this: Holder): unknown {
      const s = this[SOURCE];
      return s === undefined ? undefined : settle(this, 'host', s.hostProxy());
    },
    set(this: object, v: unknown) {
      settle(this, 'host', v);
    },
    enumerable: false,
    configurable: true,
  },
};

let pending: ActorFields | LazyActorFields | null = null;

function setFields(obj: object, f: ActorFields | LazyActorFields): void {
  if (isLazy(f)) {
    const o = obj as { id: string; url: string } & Holder;
    o.id = f.id;
    o.url = f.url;
    o[SOURCE] = f;
  } else {
    Object.assign(obj, f);
  }
}

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

  /**
   * Death watch: when the actor behind `proxy` ends, this actor's `onTerminated(ref,
   * reason)` method is called through its mailbox, once (at once if it has ended already).
   */
  watch(proxy: unknown): void {
    watchFrom(cellOf(this, 'watch'), proxy);
  }

  /** Undoes {@link watch}: no notice comes for `proxy` afterwards. */
  unwatch(proxy: unknown): void {
    unwatchFrom(cellOf(this, 'unwatch'), proxy);
  }

  constructor() {
    if (pending !== null) setFields(this, pending);
  }
}

Object.defineProperties(ActorBase.prototype, LAZY_FIELDS);

/** The cell of an actor object (set by its runtime), for watch and unwatch. */
function cellOf(actor: object, what: string): ActorCell {
  const s = (actor as Holder)[SOURCE];
  const cell = s as Partial<ActorCell> | undefined;
  if (cell === undefined || typeof cell.enqueue !== 'function') {
    throw new TypeError(`${what}(proxy) is an actor's method: call it on an actor spawned by a host, inside its methods or hooks`);
  }
  // a LazyActorFields with enqueue is the actor's cell (spawnCell gives the cell itself)
  return cell as ActorCell;
}

/**
 * True when reads of `proxy` and `host` on instances of `klass` reach the lazy accessors
 * (defining them on the class's prototype if nothing there has those names). A class
 * that defines them itself keeps eager fields.
 */
const reached = new WeakMap<Function, boolean>();

/** the class asked about last (spawns come in runs of one class) */
let lastReached: Function | null = null;

function lazyFieldsReach(klass: Function): boolean {
  if (klass === lastReached) return true;
  let r = reached.get(klass);
  if (r === undefined) reached.set(klass, (r = findLazyFields(klass)));
  if (r) lastReached = klass;
  return r;
}

function findLazyFields(klass: Function): boolean {
  const proto = klass.prototype as object | null | undefined;
  if (proto === null || typeof proto !== 'object') return false;
  let missing = 0;
  for (const name of ['proxy', 'host'] as const) {
    let d: PropertyDescriptor | undefined;
    for (let p: object | null = proto; p !== null && d === undefined; p = Object.getPrototypeOf(p) as object | null) {
      d = Object.getOwnPropertyDescriptor(p, name);
    }
    if (d === undefined) missing++;
    else if (d.get !== LAZY_FIELDS[name]!.get) return false;
  }
  if (missing === 0) return true;
  if (missing !== 2 || !Object.isExtensible(proto)) return false;
  Object.defineProperties(proto, LAZY_FIELDS);
  return true;
}

/**
 * @internal Constructs an actor object and sets its fields (used by runtimes). With lazy
 * fields, `proxy` and `host` are made on first read.
 */
export function constructActor(klass: Function, args: unknown[], fields: ActorFields | LazyActorFields): object {
  let f = fields;
  const lazy = isLazy(fields);
  if (isLazy(f) && !lazyFieldsReach(klass)) f = { id: f.id, url: f.url, proxy: f.selfProxy(), host: f.hostProxy() };
  const prev = pending;
  pending = f;
  try {
    const instance = Reflect.construct(klass, args) as object;
    setFields(instance, f);
    // the cell stays reachable for watch/unwatch when the fields were made eager
    if (lazy && f !== fields) (instance as Holder)[SOURCE] = fields;
    return instance;
  } finally {
    pending = prev;
  }
}

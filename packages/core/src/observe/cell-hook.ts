/**
 * The observer hook of ActorCell. While something observes ({@link observing}.on), a cell
 * queues each message wrapped in an {@link Observed} (its arguments, the trace context and
 * the sender of the moment it was sent) and hands an Observed message to
 * {@link invokeObserving} when its turn comes: the message is handled inside its span, with
 * an answer slot that ends the span and counts it when the handling ends (at once, or when
 * the promise of an async method settles).
 */
import { ActorCell, type MessageKind } from '../actor/cell';
import type { Reply } from '../channel';
import { reportError } from '../channel';
import { enterInvocation, observing, parentContext, senderUrl, type Invocation, type TraceContext } from './state';
import { endSpan, startSpan, type SpanLike } from './telemetry';
import { countError, countHandled } from './stats';

/** A message queued while something observes: its arguments and where it came from. */
export class Observed {
  constructor(
    /** the arguments as the cell queued them (the argument itself for a one-argument tell) */
    readonly args: unknown,
    readonly parent: TraceContext | null,
    readonly sender: string,
  ) {}
}

/**
 * @internal Called by the cell for each message it queues while something observes:
 * the arguments to queue instead (callbacks are queued as they are).
 */
export function observeQueued(args: unknown, kind: number): unknown[] {
  if (kind === ActorCell.KIND.CALLBACK) return args as unknown[];
  return new Observed(args, parentContext(), senderUrl()) as unknown as unknown[];
}

/**
 * The answer slot of an observed message: ends its span when the handling ends and passes
 * the outcome on (to the asker for an ask; a tell's error is reported as the cell would).
 */
class ObservedReply implements Reply, Invocation {
  readonly ctx: TraceContext | null;
  private readonly started = performance.now();
  constructor(
    private readonly cell: ActorCell,
    private readonly method: string,
    private readonly reply: Reply | null,
    private readonly ask: boolean,
    private readonly span: SpanLike | null,
    parent: TraceContext | null,
  ) {
    this.ctx = span === null ? parent : span.spanContext();
  }

  get url(): string {
    return this.cell.url;
  }

  resolve(value: unknown): void {
    endSpan(this.span, this.cell, this.ask, (performance.now() - this.started) / 1000, undefined);
    if (this.reply !== null) this.reply.resolve(value);
  }

  reject(error: unknown): void {
    endSpan(this.span, this.cell, this.ask, (performance.now() - this.started) / 1000, error ?? new Error('undefined'));
    if (this.cell.alive) countError(this.cell.url, error);
    if (this.reply !== null) this.reply.reject(error);
    // a tell's error is reported, as the cell reports it (not once its host shut down)
    else if (this.cell.alive) reportError(error, { actor: this.cell.url, method: this.method, kind: 'tell' });
  }
}

/**
 * @internal What a cell's run hands each message to while observing (called as a method
 * of the cell): a message queued while observing is handled inside its span, one queued
 * before as it is.
 */
export function invokeObserving(this: ActorCell, method: string, args: unknown[], slot: Reply | Function | null, kind: MessageKind): void {
  // the third slot is a reply only for an ask (a tell's holds its method's function)
  if ((args as unknown) instanceof Observed)
    observeInvoke(this, method, args as unknown as Observed, kind === ActorCell.KIND.ASK ? (slot as Reply | null) : null, kind);
  else this.invoke(method, args, slot, kind);
}

/**
 * @internal Handles an observed message: inside its span (a child of the sender's), as an
 * ask whose answer slot ends the span (a tell's outcome goes where the cell would send it).
 */
export function observeInvoke(cell: ActorCell, method: string, o: Observed, reply: Reply | null, kind: number): void {
  const K = ActorCell.KIND;
  const ask = kind === K.ASK;
  if (observing.stats) countHandled(cell.url, o.sender);
  const r = new ObservedReply(cell, method, ask ? reply : null, ask, startSpan(cell, method, ask, o.parent), o.parent);
  const prev = enterInvocation(r);
  try {
    cell.invoke(method, kind === K.TELL_ONE ? [o.args] : (o.args as unknown[]), r, K.ASK);
  } finally {
    enterInvocation(prev);
  }
}

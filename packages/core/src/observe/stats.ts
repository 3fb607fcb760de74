/**
 * What the inspector shows that only the message path knows: per actor, how many messages
 * it handled, its last error and its restarts; who sent how many messages to whom; and the
 * recent failures, restarts and dead letters. Kept only while an inspector runs
 * ({@link observing}.stats), in bounded tables.
 */
import { observing } from './state';

/** The counters of one actor, by URL. */
export interface ActorStats {
  handled: number;
  errors: number;
  restarts: number;
  deadLetters: number;
  lastError: { readonly message: string; readonly at: number } | null;
}

/** Something that happened to an actor. */
export interface ObservedEvent {
  /** milliseconds since the epoch */
  readonly at: number;
  readonly kind: 'error' | 'restart' | 'dead-letter';
  /** the URL of the actor */
  readonly actor: string;
  readonly message: string;
}

/** The most actors, senders per receiver, and events kept (past them new ones are not counted). */
const MAX_ACTORS = 10_000;
const MAX_EDGES = 10_000;
const MAX_EVENTS = 200;

const actors = new Map<string, ActorStats>();
/** message counts by receiver URL, then sender URL ('' outside actors) */
const edges = new Map<string, Map<string, number>>();
let edgeCount = 0;
const events: ObservedEvent[] = [];
const listeners = new Set<(e: ObservedEvent) => void>();

function statsOf(url: string): ActorStats | null {
  let s = actors.get(url);
  if (s === undefined) {
    if (actors.size >= MAX_ACTORS) return null;
    s = { handled: 0, errors: 0, restarts: 0, deadLetters: 0, lastError: null };
    actors.set(url, s);
  }
  return s;
}

function emit(e: ObservedEvent): void {
  if (events.length >= MAX_EVENTS) events.shift();
  events.push(e);
  for (const l of listeners) {
    try {
      l(e);
    } catch {
      // a broken listener must not break the actor
    }
  }
}

/** @internal the actor at `url` handled a message from `sender` */
export function countHandled(url: string, sender: string): void {
  const s = statsOf(url);
  if (s !== null) s.handled++;
  let from = edges.get(url);
  if (from === undefined) {
    if (edgeCount >= MAX_EDGES) return;
    edges.set(url, (from = new Map<string, number>()));
  }
  const n = from.get(sender);
  if (n !== undefined) from.set(sender, n + 1);
  else if (edgeCount < MAX_EDGES) {
    edgeCount++;
    from.set(sender, 1);
  }
}

/** @internal a method of the actor at `url` threw or rejected */
export function countError(url: string, error: unknown): void {
  if (!observing.stats) return;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const at = Date.now();
  const s = statsOf(url);
  if (s !== null) {
    s.errors++;
    s.lastError = { message, at };
  }
  emit({ at, kind: 'error', actor: url, message });
}

/** @internal the actor at `url` was restarted */
export function countRestart(url: string, why: string): void {
  if (!observing.stats) return;
  const s = statsOf(url);
  if (s !== null) s.restarts++;
  emit({ at: Date.now(), kind: 'restart', actor: url, message: why });
}

/** @internal a message to `url` became a dead letter */
export function countDeadLetter(url: string, message: string): void {
  if (!observing.stats) return;
  const s = statsOf(url);
  if (s !== null) s.deadLetters++;
  emit({ at: Date.now(), kind: 'dead-letter', actor: url, message });
}

/** @internal the counters of the actor at `url` (undefined: none yet) */
export function actorStats(url: string): Readonly<ActorStats> | undefined {
  return actors.get(url);
}

/** @internal forgets an actor that is gone (its counters and the messages sent to it) */
export function forgetActor(url: string): void {
  actors.delete(url);
  const from = edges.get(url);
  if (from !== undefined) {
    edgeCount -= from.size;
    edges.delete(url);
  }
}

/** @internal every sender→receiver count: [receiver, sender, count] */
export function* messageEdges(): Iterable<[string, string, number]> {
  for (const [to, from] of edges) for (const [sender, n] of from) yield [to, sender, n];
}

/** @internal the recent events, oldest first */
export function recentEvents(): readonly ObservedEvent[] {
  return events;
}

/** @internal calls `listener` with every event from now on; returns what stops it */
export function onObservedEvent(listener: (e: ObservedEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** @internal turns the counters on (an inspector starts) */
export function startStats(): void {
  observing.on = true;
  observing.stats = true;
}

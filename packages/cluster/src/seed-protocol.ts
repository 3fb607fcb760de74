/**
 * The requests a member sends to the seed that holds the membership table, and the
 * replies. They are plain JSON-able objects, so any transport can carry them (a gRPC host,
 * a worker thread, a direct call in one process): the member side needs only a
 * {@link SeedLink}. Durations are milliseconds and lease ends are given as time left, so the
 * two sides' clocks never need to agree.
 */

/** Carries one request to the seed and resolves with its reply (rejects when it is away). */
export type SeedLink = (request: SeedRequest) => Promise<unknown>;

/** One request to the seed table. `cluster` must be the seed's cluster name. */
export type SeedRequest =
  | { op: 'join'; cluster: string; url: string; kinds: string[]; ttlMs: number }
  | { op: 'renew'; cluster: string; url: string; incarnation: number; ttlMs: number }
  | { op: 'leave'; cluster: string; url: string; incarnation: number }
  | { op: 'list'; cluster: string }
  /** Answers once the table's version differs from `version`, or after `waitMs`. */
  | { op: 'watch'; cluster: string; version: number; waitMs: number }
  | { op: 'acquire'; cluster: string; identity: string; memberUrl: string; ttlMs: number }
  | { op: 'renewActivation'; cluster: string; identity: string; memberUrl: string; epoch: number; ttlMs: number }
  | { op: 'release'; cluster: string; identity: string; memberUrl: string; epoch: number }
  | { op: 'isCurrent'; cluster: string; identity: string; epoch: number };

/** A row of the seed's table as `list` sends it. */
export interface SeedMemberRow {
  url: string;
  kinds: string[];
  incarnation: number;
  ttlMs: number;
  remainingMs: number;
}

/** The replies, by request. */
export interface SeedReplies {
  join: { incarnation: number };
  renew: { ok: boolean; kinds: string[] };
  leave: { ok: boolean };
  list: { members: SeedMemberRow[] };
  watch: { version: number };
  /** When not acquired: the holder's URL, epoch and time left. */
  acquire: { acquired: boolean; memberUrl: string; epoch: number; remainingMs: number };
  renewActivation: { ok: boolean };
  release: { ok: boolean };
  isCurrent: { ok: boolean };
}

/** Small helpers of the conformance suites: outcomes of promises, races with a timer, error capture. */
import * as net from 'node:net';
import { setErrorHandler, type ErrorHandler } from 'tsactor';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The outcome of a promise or future (never rejects). */
export function settle<T>(p: PromiseLike<T> | (() => PromiseLike<T>)): Promise<Outcome<T>> {
  let promise: PromiseLike<T>;
  try {
    promise = typeof p === 'function' ? p() : p;
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  return Promise.resolve(promise).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * The outcome of `p`, or 'timer' when a timer of `seconds` fires first. The timer is
 * cleared either way. Used to show that something happens promptly (before the timer)
 * or is still pending (after it), without measuring time.
 */
export async function within<T>(p: PromiseLike<T>, seconds: number): Promise<Outcome<T> | 'timer'> {
  let timer: NodeJS.Timeout | undefined;
  const fired = new Promise<'timer'>((resolve) => {
    timer = setTimeout(() => resolve('timer'), seconds * 1000);
  });
  try {
    return await Promise.race([settle(p), fired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error a settled outcome failed with; fails the test when it succeeded. */
export function errorOf(o: Outcome<unknown> | 'timer'): Error {
  if (o === 'timer') throw new Error('expected a rejection, but the timer fired first');
  if (o.ok) throw new Error(`expected a rejection, got the value ${safeString(o.value)}`);
  return o.error as Error;
}

/** The value of a settled outcome; fails the test when it failed. */
export function valueOf<T>(o: Outcome<T> | 'timer'): T {
  if (o === 'timer') throw new Error('expected a value, but the timer fired first');
  if (!o.ok) throw o.error;
  return o.value;
}

function safeString(v: unknown): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for undefined, functions and symbols, though its type says string
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export interface Report {
  readonly error: Error;
  readonly info: Parameters<ErrorHandler>[1];
}

/** Replaces the error handler with one that records the reports; `restore()` puts the previous one back. */
export function captureReports(): { readonly reports: Report[]; restore(): void } {
  const reports: Report[] = [];
  const previous = setErrorHandler((error, info) => {
    reports.push({ error, info });
  });
  return {
    reports,
    restore: () => {
      setErrorHandler(previous);
    },
  };
}

/** The base URL of a host ('scheme://authority/'), from its proxy. */
export function baseOf(host: { getUrl(): string; getId(): string }): string {
  const url = host.getUrl();
  const id = host.getId();
  return url.endsWith(id) ? url.slice(0, url.length - id.length) : url;
}

/** Ports already handed out by `freePort` in this process. */
const handedOut = new Set<number>();

/**
 * A TCP port that was free a moment ago on 127.0.0.1, and not one this process was given
 * before: the kernel may pick the same free port for two binds in a row, and two hosts of
 * one test asking for their URLs one after the other must not get the same one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

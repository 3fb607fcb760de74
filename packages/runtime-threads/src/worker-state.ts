/** Whether this thread is a worker of the 'threads' runtime (set by its entry). */
let inWorker = false;

/** @internal */
export function markThreadsWorker(): void {
  inWorker = true;
}

/** True inside a worker thread of the 'threads' runtime. */
export function isThreadsWorker(): boolean {
  return inWorker;
}

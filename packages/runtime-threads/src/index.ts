/**
 * @tsactor/runtime-threads: the 'threads' context (alias 'thread'). Actors live on a pool of
 * worker threads, each pinned to one worker; messages between actors of one worker take the
 * direct path of the 'async' runtime, and messages between threads travel in batches.
 */
export { threadsRuntime, ThreadRuntime, getBootConfig, workerExecArgv, type BootConfig } from './thread-runtime';
export { isThreadsWorker } from './worker-state';
export { locateClass, loadClass, type ClassLocation } from './class-locator';

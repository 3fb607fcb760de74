/**
 * The conformance suite, unchanged, under the 'threads' runtime. Tell failures in workers are
 * reported through the main thread's error handler, so the suite checks them (inProcess);
 * every message to an actor leaves the calling thread, so proxies need @Ref (crossesBoundary).
 */
import { createHost, setContext, shutdown } from 'tsactor';
import { describeConformance } from '@tsactor/testing';

let hosts = 0;

describeConformance({
  name: 'threads',
  inProcess: true,
  crossesBoundary: true,
  async setup() {
    setContext('threads');
    const url = `local://threads-conformance-${++hosts}:6666/host`;
    const host = await createHost(url, { threads: 2 });
    return { host, teardown: () => shutdown(url) };
  },
});

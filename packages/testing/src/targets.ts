import { createHost, setContext, shutdown, type HostProxy } from 'tsactor';
import type { ConformanceTarget } from './conformance';

/**
 * The setup of a transport's in-process target: a caller host and a serving host at two
 * fresh URLs of the transport (from `nextUrl`), the serving host's actors on the given
 * runtime. The two hosts talk through the transport, as two processes would; the suite
 * uses the serving host through the caller's proxy to it.
 */
export function twoHostSetup(nextUrl: () => string | Promise<string>, context: 'async' | 'threads'): ConformanceTarget['setup'] {
  return async () => {
    const callerUrl = await nextUrl();
    const remoteUrl = await nextUrl();
    const callerHost = await createHost(callerUrl);
    setContext(context);
    try {
      // the suite stops actors through the caller's proxy to this host: a peer's stopActor
      await createHost(remoteUrl, { remoteStop: true });
    } finally {
      setContext('async');
    }
    const host = await callerHost.lookupUrl<HostProxy>(remoteUrl);
    return {
      host,
      callerHost,
      async teardown() {
        await shutdown(remoteUrl).catch(() => undefined);
        await shutdown(callerUrl).catch(() => undefined);
      },
    };
  };
}

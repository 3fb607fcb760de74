/**
 * @tsactor/inspector: a live web page of the hosts of this process, the hosts they talk
 * to, their actors (mailbox depth, message rate, last error, restarts) and who sends to
 * whom, updated by server-sent events. Started by `createHost(url, { inspector: 7070 })`
 * or TSACTOR_INSPECTOR=7070 once this package is registered (`tsactor` registers it).
 */
import { registerInspector, type InspectorPlugin } from '@tsactor/core/internal';
import { attach, inspectorUrls } from './server';

/** The inspector, as core's registry takes it. */
export const inspectorPlugin: InspectorPlugin = { attach };

/** Registers this inspector with core (what `tsactor` does lazily). */
export function registerBuiltinInspector(): void {
  registerInspector(inspectorPlugin);
}

export { inspectorUrls };
export type { Snapshot, HostView, ActorView, EdgeView } from './snapshot';

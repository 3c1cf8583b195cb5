/**
 * Running one controller against a real in-process API cluster for integration tests: the real
 * ApiClient, the real shared informers and workqueue, started through the controller manager's
 * runControllers. Events go to an in-memory recorder (a test double: the event recorder
 * implementation is not part of these controllers), so tests can assert what was reported.
 * Also the bounded poll every test here uses instead of fixed sleeps.
 */
import type { KubeObject } from '../../src/api/meta.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SharedInformerFactory } from '../../src/client/cache/factory.js';
import type { EventRecorder, EventType } from '../../src/client/events/types.js';
import { runControllers } from '../../src/controllers/manager.js';
import type { ControllerDescriptor } from '../../src/controllers/types.js';
import type { ApiCluster } from './apiserver.js';

/** RecordedEvent is one event a controller reported. */
export interface RecordedEvent {
  component: string;
  kind: string;
  namespace: string;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** ControllerRun is a running controller; stop() ends it and its informers. */
export interface ControllerRun {
  api: ApiClient;
  events: RecordedEvent[];
  logs: string[];
  stop(): Promise<void>;
}

/** runController starts descriptor against the cluster's gRPC endpoints. */
export function runController(c: ApiCluster, d: ControllerDescriptor): ControllerRun {
  const api = new ApiClient({ endpoints: c.grpcEndpoints, timeoutMs: 5_000 });
  const informers = new SharedInformerFactory(api, { clock: systemClock });
  const events: RecordedEvent[] = [];
  const logs: string[] = [];
  const recorder = (component: string): EventRecorder => ({
    event: (o: KubeObject, type, reason, message) => events.push({ component,
      kind: o.kind ?? '', namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '',
      type, reason, message }),
  });
  const abort = new AbortController();
  const done = runControllers({ api, informers, events: recorder, clock: systemClock,
    wallMs: systemWallMs, log: (l) => logs.push(l), signal: abort.signal, controllers: [d] });
  return {
    api, events, logs,
    stop: async () => {
      abort.abort();
      await done;
      await informers.stopAndWait();
      api.close();
    },
  };
}

/** until polls cond (sync or async) every 20 ms until true, failing after deadlineMs. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 10_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** gone resolves true when get fails with 404. */
export async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return true;
    throw err;
  }
}

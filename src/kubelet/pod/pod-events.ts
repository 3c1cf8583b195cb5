/**
 * Pod events and log lines from the pod worker. Events are best effort (the recorder is
 * optional and never throws into us); the texts are upstream's, so `kubectl describe pod`
 * reads as it does on a real cluster (Pulling, Pulled, Created, Started, Killing, BackOff...).
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { EventType } from '../../client/events/types.js';
import type { PodWorkerDeps } from './types.js';

/** podEvent records one event about pod, if the worker has a recorder. */
export function podEvent(
  deps: Pick<PodWorkerDeps, 'events'>,
  pod: Pod,
  type: EventType,
  reason: string,
  message: string,
): void {
  deps.events?.event(pod, type, reason, message);
}

/** podLog writes one line about pod to the worker's log, if any. */
export function podLog(deps: Pick<PodWorkerDeps, 'log'>, pod: Pod, line: string): void {
  const m = pod.metadata;
  deps.log?.(`pod ${m.namespace ?? 'default'}/${m.name ?? '?'}: ${line}`);
}

/**
 * Performing the node lifecycle plans through the component API. Writes go in plan order; each
 * node write starts from the object the previous one returned (the status update bumps the
 * resourceVersion the taint update must carry). A pod that is gone or changed under us is not an
 * error: the next sync sees the new state and plans again.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { KubeObject } from '../../api/meta.js';
import { isStatusError } from '../../api/errors.js';
import type { ComponentApi } from '../../client/component-api.js';
import type { EventRecorder } from '../../client/events/types.js';
import type { EvictionAction } from './eviction-plan.js';
import type { NodeAction } from './plan.js';
import { NODES, PODS } from '../base/resources.js';
import { applyTaintChange } from './taints.js';

/** FIELD_MANAGER names the controller's writes in managedFields. */
const FIELD_MANAGER = 'node-controller';

/** isStatus: err is the API's Status with this HTTP code. */
export function isStatus(err: unknown, ...codes: number[]): boolean {
  return isStatusError(err) && codes.includes(err.code);
}

function refKey(o: KubeObject): string {
  return `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** executeNodeActions performs one node's plan; throws (to retry with backoff) on failure. */
export async function executeNodeActions(
  api: ComponentApi,
  cached: Node,
  actions: readonly NodeAction[],
  events: EventRecorder,
): Promise<void> {
  let latest = cached;
  const skipped = new Set<string>();
  for (const a of actions) {
    switch (a.type) {
      case 'updateNodeStatus': {
        const next = structuredClone(latest);
        next.status = { ...next.status, conditions: a.conditions };
        latest = await api.update<Node>(NODES, undefined, next,
          { subresource: 'status', fieldManager: FIELD_MANAGER });
        break;
      }
      case 'changeTaints': {
        const next = structuredClone(latest);
        next.spec = { ...next.spec, taints: applyTaintChange(next.spec?.taints ?? [], a.change) };
        latest = await api.update<Node>(NODES, undefined, next, { fieldManager: FIELD_MANAGER });
        break;
      }
      case 'markPodNotReady':
        try {
          await api.patch(PODS, a.namespace, a.name, 'application/json-patch+json', a.patch,
            { subresource: 'status', fieldManager: FIELD_MANAGER });
        } catch (err) {
          // 404: gone; 422: its Ready condition changed since the cache saw it.
          if (!isStatus(err, 404, 422)) throw err;
          skipped.add(`Pod/${a.namespace}/${a.name}`);
        }
        break;
      case 'event':
        if (!skipped.has(refKey(a.regarding))) {
          events.event(a.regarding, a.eventType, a.reason, a.message);
        }
        break;
    }
  }
}

/** executeEviction performs one pod's eviction plan; stops quietly when the pod is gone. */
export async function executeEviction(
  api: ComponentApi,
  actions: readonly EvictionAction[],
  events: EventRecorder,
): Promise<void> {
  for (const a of actions) {
    try {
      if (a.type === 'addDisruptionCondition') {
        await api.patch(PODS, a.namespace, a.name, 'application/strategic-merge-patch+json',
          { status: { conditions: [a.condition] } },
          { subresource: 'status', fieldManager: 'taint-eviction-controller' });
      } else if (a.type === 'deletePod') {
        await api.delete(PODS, a.namespace, a.name, { preconditions: { uid: a.uid } });
      } else {
        events.event(a.regarding, 'Normal', a.reason, a.message);
      }
    } catch (err) {
      // 404: already gone; 409: the name now belongs to another pod (uid precondition).
      if (isStatus(err, 404, 409)) return;
      throw err;
    }
  }
}

/**
 * The scale subresource (autoscaling/v1 Scale) of Deployments and ReplicaSets: `kubectl scale`
 * PATCHes {"spec":{"replicas":3}} onto it, and the registry turns that into a write of the
 * owner's spec.replicas. status.selector is the owner's selector as a label-selector string.
 */
import { invalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';

interface LabelSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** selectorString renders a metav1.LabelSelector as kubectl and the Scale status print it. */
export function selectorString(sel: LabelSelectorJson | undefined): string {
  if (!sel) return '';
  const parts = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** toScale renders the Scale view of a scalable object. */
export function toScale(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelectorJson };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

/** replicasFromScale reads and checks spec.replicas of a Scale body. */
export function replicasFromScale(scale: KubeObject, name: string): number {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [{
      type: 'FieldValueInvalid',
      field: 'spec.replicas',
      badValue: replicas,
      detail: 'must be greater than or equal to 0',
    }]);
  }
  return replicas;
}

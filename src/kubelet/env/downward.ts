/**
 * The downward API: a pod's own fields and its containers' resources, as the strings env
 * variables (fieldRef, resourceFieldRef) and downwardAPI volume files carry. Pure; shared by
 * env and volumes so both say the same thing. Errors are the messages upstream reports.
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { parseQuantity } from '../../api/validation/quantity.js';

/** PodRuntimeFacts: what the downward API needs beyond the pod object. */
export interface PodRuntimeFacts {
  nodeName: string;
  hostIP: string;
  podIPs: string[];
}

/** DownwardError is a reference the pod cannot be given (bad path, unknown container). */
export class DownwardError extends Error {
  override name = 'DownwardError';
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** formatMap: a whole label or annotation map as a volume file: sorted `key="value"` lines. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort()
    .map((k) => `${k}=${JSON.stringify((m ?? {})[k])}`).join('\n');
}

/**
 * podFieldValue: the value of fieldPath. Whole maps (metadata.labels, metadata.annotations)
 * only in volumes (wholeMaps); env asks for single keys with ['key'].
 */
export function podFieldValue(
  pod: Pod,
  fieldPath: string,
  facts: PodRuntimeFacts,
  wholeMaps = false,
): string {
  const m = pod.metadata;
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub !== null) {
    const map = sub[1] === 'labels' ? m.labels : m.annotations;
    return map?.[sub[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return m.name ?? '';
    case 'metadata.namespace': return m.namespace ?? '';
    case 'metadata.uid': return m.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? '';
    case 'status.hostIP': return facts.hostIP;
    case 'status.hostIPs': return facts.hostIP;
    case 'status.podIP': return facts.podIPs[0] ?? '';
    case 'status.podIPs': return facts.podIPs.join(',');
  }
  if (wholeMaps && fieldPath === 'metadata.labels') return formatMap(m.labels);
  if (wholeMaps && fieldPath === 'metadata.annotations') return formatMap(m.annotations);
  throw new DownwardError(`unsupported fieldPath: ${fieldPath}`);
}

/**
 * resourceFieldValue: limits.X / requests.X of a container divided by divisor (default 1),
 * rounded up. A missing limit is the node's allocatable, as upstream; a missing request is 0.
 */
export function resourceFieldValue(
  pod: Pod,
  containerName: string,
  resource: string,
  divisor: string | number | undefined,
  allocatable: ResourceList,
): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const c = all.find((x) => x.name === containerName);
  if (c === undefined) throw new DownwardError(`container ${containerName} not found`);
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests')) {
    throw new DownwardError(`unsupported container resource: ${resource}`);
  }
  const raw = kind === 'limits'
    ? (c.resources?.limits?.[name] ?? allocatable[name])
    : (c.resources?.requests?.[name] ?? c.resources?.limits?.[name] ?? 0);
  const q = parseQuantity(raw ?? 0);
  const d = parseQuantity(divisor ?? 1);
  if (typeof q === 'string' || typeof d === 'string' || d.nanos <= 0n) {
    throw new DownwardError(`invalid quantity for ${resource}`);
  }
  const whole = q.nanos / d.nanos;
  return String(q.nanos % d.nanos > 0n ? whole + 1n : whole);
}

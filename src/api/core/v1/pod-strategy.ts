/**
 * The Pod strategy: defaults (pod-defaults.ts), validation (pod-validation.ts), a fresh status on
 * create (phase Pending with its QoS class, as upstream's PrepareForCreate), and the field labels
 * the kubelet (spec.nodeName) and kubectl (status.phase) select pods by.
 */
import type { FieldError } from '../../errors.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import { parseQuantity } from '../../validation/quantity.js';
import type { ResourceList } from './common-types.js';
import { defaultPod } from './pod-defaults.js';
import type { Container, Pod, PodStatus } from './pod-types.js';
import { validatePodStatusUpdate } from './pod-status-validation.js';
import { validatePodSpec, validatePodSpecUpdate } from './pod-validation.js';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function nonZero(list: ResourceList | undefined, name: string): boolean {
  const raw = list?.[name];
  if (raw === undefined) return false;
  const q = parseQuantity(raw);
  return typeof q !== 'string' && q.nanos !== 0n;
}

/**
 * qosClass: Guaranteed when every container limits cpu and memory with requests equal to the
 * limits; BestEffort when none requests or limits either; Burstable otherwise (GetPodQOS).
 */
export function qosClass(containers: Container[]): NonNullable<PodStatus['qosClass']> {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    for (const r of QOS_RESOURCES) {
      const lim = c.resources?.limits?.[r];
      const req = c.resources?.requests?.[r] ?? lim;
      if (nonZero(c.resources?.limits, r) || nonZero(c.resources?.requests, r)) any = true;
      const ql = lim === undefined ? undefined : parseQuantity(lim);
      const qr = req === undefined ? undefined : parseQuantity(req);
      const equal = typeof ql === 'object' && typeof qr === 'object' && ql.nanos === qr.nanos && ql.nanos !== 0n;
      if (!equal) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec(pod.spec, 'spec');
}

/** podStrategy is core/v1 Pod's KindStrategy. */
export const podStrategy = defineStrategy<Pod>({
  group: '',
  version: 'v1',
  kind: 'Pod',
  hasStatus: true,
  // Pods carry a generation since 1.33 (PodObservedGenerationTracking): spec changes bump it.
  specFields: ['spec'],
  defaults: defaultPod,
  validate: validatePod,
  validateUpdate: (pod, old) => validatePodSpecUpdate(pod.spec, old.spec),
  // A status write keeps the stored spec: its metadata and status are checked, not the spec.
  validateStatusUpdate: validatePodStatusUpdate,
  prepareForCreate: (pod) => {
    const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    pod.status = { phase: 'Pending', qosClass: qosClass(all) };
  },
  fieldLabels: (pod) => ({
    'spec.nodeName': str(pod.spec?.nodeName),
    'spec.restartPolicy': str(pod.spec?.restartPolicy),
    'spec.schedulerName': str(pod.spec?.schedulerName),
    'spec.serviceAccountName': str(pod.spec?.serviceAccountName),
    'spec.hostNetwork': String(pod.spec?.hostNetwork === true),
    'status.phase': str(pod.status?.phase),
    'status.podIP': str(pod.status?.podIP),
    'status.nominatedNodeName': str(pod.status?.nominatedNodeName),
  }),
});

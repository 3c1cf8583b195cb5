/**
 * Pod facts every workload controller needs (kube-controller-manager's controller_utils and
 * podutil), in one place: which pods count as active, ready and available, the controller
 * owner reference, and a pod made from a template. Pure.
 */
import type { KubeObject, OwnerReference } from '../../api/meta.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Pod, PodTemplateSpec } from '../../api/core/v1/pod-types.js';

/** controllerRef: the owner reference with controller=true, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** ownerRefTo makes the controller reference a controller puts on what it creates. */
export function ownerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** isPodActive: not finished and not being deleted (controller_utils.IsPodActive). */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && p.metadata.deletionTimestamp === undefined;
}

/** podCondition finds a condition of the pod's status. */
export function podCondition(p: Pod, type: string): Condition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** isPodReady: condition Ready is True. */
export function isPodReady(p: Pod): boolean {
  return podCondition(p, 'Ready')?.status === 'True';
}

/**
 * isPodAvailable: ready for at least minReadySeconds at nowWallMs (podutil.IsPodAvailable).
 * A Ready condition without lastTransitionTime counts as ready since forever.
 */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowWallMs: number): boolean {
  const ready = podCondition(p, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  if (Number.isNaN(since)) return true;
  return since + minReadySeconds * 1000 <= nowWallMs;
}

/**
 * podFromTemplate makes the pod a controller creates: the template's labels, annotations and
 * spec, generateName "<owner name>-", the controller reference, and finalizers none (controller
 * pods are deleted by the garbage collector through their owner reference).
 */
export function podFromTemplate(
  template: PodTemplateSpec,
  namespace: string,
  generateName: string,
  owner: OwnerReference,
): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace,
      ownerReferences: [owner],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
  if (meta.labels !== undefined) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations !== undefined) pod.metadata.annotations = { ...meta.annotations };
  return pod;
}

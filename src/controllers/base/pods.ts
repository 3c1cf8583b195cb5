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

/**
 * Claim is how a controller's objects split up (ControllerRefManager.ClaimObject): the ones it
 * owns now (matching and owned, plus adopted orphans), orphans to adopt, and owned objects whose
 * labels no longer match to release. Everything else (owned by another controller, or not ours
 * and not matching) is left alone.
 */
export interface Claim<T extends KubeObject> {
  owned: T[];
  adopt: T[];
  release: T[];
}

/**
 * claimObjects decides ownership of candidates (same namespace as owner) for owner, whose
 * selector is `matches`. An owner being deleted adopts nothing and releases nothing (the
 * garbage collector is about to handle its dependents); an orphan being deleted is not adopted.
 */
export function claimObjects<T extends KubeObject>(
  owner: KubeObject,
  candidates: readonly T[],
  matches: (obj: T) => boolean,
): Claim<T> {
  const out: Claim<T> = { owned: [], adopt: [], release: [] };
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;
  for (const obj of candidates) {
    if (obj.metadata.namespace !== owner.metadata.namespace) continue;
    const ref = controllerRef(obj);
    if (ref !== undefined) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches(obj)) out.owned.push(obj);
      else if (!ownerDeleting) out.release.push(obj);
      continue;
    }
    if (ownerDeleting || !matches(obj) || obj.metadata.deletionTimestamp !== undefined) continue;
    out.adopt.push(obj);
    out.owned.push(obj);
  }
  return out;
}

/** withOwnerRef: a copy of obj with ref appended to its owner references (adoption). */
export function withOwnerRef<T extends KubeObject>(obj: T, ref: OwnerReference): T {
  const copy = structuredClone(obj);
  copy.metadata.ownerReferences = [...(copy.metadata.ownerReferences ?? []), ref];
  return copy;
}

/** withoutOwnerRef: a copy of obj without the owner reference to uid (release). */
export function withoutOwnerRef<T extends KubeObject>(obj: T, uid: string): T {
  const copy = structuredClone(obj);
  const refs = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
  if (refs.length > 0) copy.metadata.ownerReferences = refs;
  else delete copy.metadata.ownerReferences;
  return copy;
}

/** podKey is "<namespace>/<name>", the key expectations track deletions by. */
export function podKey(p: Pod): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
}

/** rfc3339 renders wall time as Kubernetes timestamps are written: UTC, second precision. */
export function rfc3339(wallMs: number): string {
  return new Date(Math.floor(wallMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

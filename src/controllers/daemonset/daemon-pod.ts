/**
 * The pods a DaemonSet makes: its template with the tolerations every daemon pod gets (so node
 * problems never evict or block a node's daemons), the revision labels the rolling update compares,
 * and a required node affinity naming exactly one node (upstream since 1.12: the pod is created
 * unbound and the default scheduler binds it, so scheduling rules stay in one place). Pure.
 */
import type { OwnerReference } from '../../api/meta.js';
import type { Pod, PodSpec, PodTemplateSpec, Toleration } from '../../api/core/v1/pod-types.js';
import type { DaemonSet } from '../../api/apps/v1/workloads.js';
import { assert } from '../../base/assert.js';
import { podFromTemplate } from '../base/pods.js';

/** REVISION_HASH_LABEL: the template's hash on each pod (ControllerRevision's hash upstream). */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** TEMPLATE_GENERATION_LABEL: the DaemonSet generation that made the pod (deprecated upstream,
 *  still written so label selectors people use keep working). */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** NODE_NAME_FIELD: the field selector key daemon pods' node affinity uses. */
export const NODE_NAME_FIELD = 'metadata.name';

/**
 * DAEMON_TOLERATIONS: added to every daemon pod (daemonset util's AddOrUpdateDaemonPodTolerations).
 * NoExecute ones have no tolerationSeconds: a daemon pod is never evicted for node trouble.
 */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
/** HOST_NETWORK_TOLERATION: host-network daemons (CNI plugins) must start before the network. */
export const HOST_NETWORK_TOLERATION: Toleration = {
  key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule',
};

/** withDaemonTolerations adds each daemon toleration unless one with the same key, operator,
 *  value and effect is there already (it then stays as the user wrote it). */
export function withDaemonTolerations(spec: PodSpec): PodSpec {
  const out = structuredClone(spec);
  const list = [...(out.tolerations ?? [])];
  const wanted = [...DAEMON_TOLERATIONS, ...(spec.hostNetwork === true ? [
    HOST_NETWORK_TOLERATION] : [])];
  for (const t of wanted) {
    const same = (u: Toleration): boolean => u.key === t.key && (u.operator ?? 'Equal')
      === t.operator && (u.value ?? '') === '' && (u.effect ?? '') === t.effect;
    if (!list.some(same)) list.push({ ...t });
  }
  out.tolerations = list;
  return out;
}

/** daemonPodSpec: the DaemonSet template's spec as each of its pods gets it (before the node). */
export function daemonPodSpec(ds: DaemonSet): PodSpec {
  return withDaemonTolerations(ds.spec?.template?.spec ?? { containers: [] });
}

/** templateGeneration: upstream's deprecated annotation when set, else metadata.generation. */
export function templateGeneration(ds: DaemonSet): string {
  const a = ds.metadata.annotations?.['deprecated.daemonset.template.generation'];
  return a ?? String(ds.metadata.generation ?? 0);
}

/**
 * daemonPodFor makes the pod for one node: template + daemon tolerations + revision labels, and
 * the required node affinity replaced by a single term `metadata.name In [node]` (the controller
 * already checked the template's own affinity against the node).
 */
export function daemonPodFor(ds: DaemonSet, hash: string, nodeName: string,
  owner: OwnerReference): Pod {
  assert(nodeName !== '', 'daemon pod: empty node name');
  const template: PodTemplateSpec = ds.spec?.template ?? {};
  const pod = podFromTemplate(template, ds.metadata.namespace ?? 'default',
    `${ds.metadata.name ?? ''}-`, owner);
  pod.spec = daemonPodSpec(ds);
  pod.metadata.labels = { ...pod.metadata.labels, [REVISION_HASH_LABEL]: hash,
    [TEMPLATE_GENERATION_LABEL]: templateGeneration(ds) };
  const affinity = pod.spec.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [
    { matchFields: [{ key: NODE_NAME_FIELD, operator: 'In', values: [nodeName] }] }] };
  pod.spec.affinity = { ...affinity, nodeAffinity };
  return pod;
}

/**
 * targetNodeName: where a daemon pod is or will be — spec.nodeName once bound, else the node its
 * required affinity names (`metadata.name In [x]`); undefined for a pod that names no node.
 */
export function targetNodeName(pod: Pod): string | undefined {
  const bound = pod.spec?.nodeName;
  if (bound !== undefined && bound !== '') return bound;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key !== NODE_NAME_FIELD || f.operator !== 'In') continue;
      return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}

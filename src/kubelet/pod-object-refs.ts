/**
 * podObjectRefs: whether a pod reads any ConfigMap or Secret of its namespace — through an env
 * var (valueFrom), envFrom, or a configMap, secret or projected volume, in any container or init
 * container. The kubelet waits for a namespace's ConfigMap and Secret caches only for pods that
 * read them (upstream walks the same references: VisitPodConfigmapNames, VisitPodSecretNames):
 * a pod that reads neither must not wait for three lists of a namespace it is the first of.
 */
import type { Pod } from '../api/core/v1/pod-types.js';

/** PodObjectRefs: the kinds of namespaced objects a pod's containers and volumes read. */
export interface PodObjectRefs {
  configMaps: boolean;
  secrets: boolean;
}

/** podObjectRefs walks every place a pod names a ConfigMap or a Secret. */
export function podObjectRefs(pod: Pod): PodObjectRefs {
  const refs: PodObjectRefs = { configMaps: false, secrets: false };
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef !== undefined) refs.configMaps = true;
      if (e.valueFrom?.secretKeyRef !== undefined) refs.secrets = true;
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef !== undefined) refs.configMaps = true;
      if (f.secretRef !== undefined) refs.secrets = true;
    }
  }
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap !== undefined) refs.configMaps = true;
    if (v.secret !== undefined) refs.secrets = true;
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap !== undefined) refs.configMaps = true;
      if (s.secret !== undefined) refs.secrets = true;
    }
  }
  return refs;
}

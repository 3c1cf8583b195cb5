/**
 * PodInfo is everything scheduling needs from a pod, computed once: when the pod is queued (the
 * pod to place) or enters the snapshot (a pod on a node). Filters and scores then read numbers
 * and parsed terms instead of walking the pod's JSON for each of hundreds of nodes.
 */
import type { Pod, Toleration } from '../../api/core/v1/pod-types.js';
import { keyFor } from '../../client/cache/keys.js';
import {
  parseTerms,
  parseWeightedTerms,
  type AffinityTerm,
  type WeightedAffinityTerm,
} from './affinity-term.js';
import { podRequests, type Resources } from './resources.js';

/** HostPort is a port a pod takes on its node's network (hostPort > 0). */
export interface HostPort {
  readonly protocol: string;
  /** hostIP; "0.0.0.0" (every address) when unset. */
  readonly ip: string;
  readonly port: number;
}

/** WILDCARD_IP: a hostPort without hostIP binds every address. */
export const WILDCARD_IP = '0.0.0.0';

/** PodInfo: a pod and its precomputed scheduling facts. Immutable once built. */
export class PodInfo {
  /** key: "<namespace>/<name>", the queue's and the snapshot's identity of a pod. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  /** requests: what the pod takes from its node (filters, and the node's requested). */
  readonly requests: Resources;
  /** nonZeroRequests: requests with cpu/memory defaults for unset requests (scoring). */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  readonly tolerations: readonly Toleration[];
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
  /** hasAffinity: any pod (anti-)affinity term at all (InterPodAffinity's index of pods). */
  readonly hasAffinity: boolean;
  /** terminating: metadata.deletionTimestamp is set. */
  readonly terminating: boolean;
  readonly priority: number;

  constructor(readonly pod: Pod) {
    const meta = pod.metadata;
    this.namespace = meta.namespace ?? '';
    this.name = meta.name ?? '';
    this.key = keyFor(this.namespace, this.name);
    this.uid = meta.uid ?? '';
    this.labels = meta.labels ?? {};
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.hostPorts = hostPortsOf(pod);
    this.tolerations = pod.spec?.tolerations ?? [];
    const aff = pod.spec?.affinity;
    this.requiredAffinity = parseTerms(pod,
      aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.requiredAntiAffinity = parseTerms(pod,
      aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.preferredAffinity = parseWeightedTerms(pod,
      aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinity = parseWeightedTerms(pod,
      aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.hasAffinity = this.requiredAffinity.length + this.requiredAntiAffinity.length +
      this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
    this.terminating = meta.deletionTimestamp !== undefined;
    this.priority = pod.spec?.priority ?? 0;
  }
}

/** hostPortsOf lists the host ports of the pod's containers and sidecars (upstream counts
 *  restartable init containers too: they run alongside the containers). */
function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) {
      if ((p.hostPort ?? 0) <= 0) continue;
      const ip = p.hostIP !== undefined && p.hostIP !== '' ? p.hostIP : WILDCARD_IP;
      out.push({ protocol: p.protocol ?? 'TCP', ip, port: p.hostPort ?? 0 });
    }
  }
  return out;
}

/**
 * prepare(pod): the node's half of starting a pod, handed to the pod worker (PodWorkerDeps):
 * volumes set up (and refreshed), each container's environment and mounts, the DNS config, the
 * hostname and the log directory. A failure rejects with the message the worker shows as the
 * container's CreateContainerConfigError; the worker calls prepare again on its next sync.
 */
import { join } from 'node:path';
import type { ResourceList } from '../api/core/v1/common-types.js';
import type { Pod } from '../api/core/v1/pod-types.js';
import type { KubeletConfig } from './config.js';
import { containerEnv } from './env/container-env.js';
import { podDnsConfig, podHostname } from './env/dns.js';
import type { PodRuntimeFacts } from './env/downward.js';
import { podLogDirectory } from './logs/paths.js';
import type { ObjectCache } from './objects.js';
import { podObjectRefs } from './pod-object-refs.js';
import type { PreparedContainer, PreparedPod } from './pod/types.js';
import { isStaticPod } from './sources/static-pods.js';
import type { VolumeManager } from './volumes/volume-manager.js';

/** PrepareDeps: config, caches, volumes, and the pod's addresses once known. */
export interface PrepareDeps {
  cfg: KubeletConfig;
  objects: ObjectCache;
  volumes: VolumeManager;
  allocatable: ResourceList;
  /** The pod's IPs as last reported (empty before its sandbox exists). */
  podIPs(pod: Pod): string[];
  /** Warnings worth an event (skipped envFrom keys). */
  warn?(pod: Pod, reason: string, message: string): void;
}

/** podLogsRoot: where pod log directories live (the logs helper's layout). */
export function podLogsRoot(cfg: KubeletConfig): string {
  return join(cfg.rootDir, 'pods-logs');
}

/** makePrepare binds the deps into the worker's prepare(). */
export function makePrepare(d: PrepareDeps): (pod: Pod) => Promise<PreparedPod> {
  return async (pod) => {
    const ns = pod.metadata.namespace ?? 'default';
    const objects = await d.objects.forNamespace(ns, !isStaticPod(pod), podObjectRefs(pod));
    const facts: PodRuntimeFacts = { nodeName: d.cfg.nodeName, hostIP: d.cfg.address,
      podIPs: d.podIPs(pod) };
    const volumes = await d.volumes.setUp(pod, objects, { pod, facts,
      allocatable: d.allocatable });
    const containers: Record<string, PreparedContainer> = {};
    const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    for (const c of all) {
      const { env, warnings } = containerEnv(pod, c, { ...objects, facts,
        allocatable: d.allocatable });
      for (const w of warnings) d.warn?.(pod, 'InvalidEnvironmentVariableNames', w);
      const envMap = new Map(env.map((v) => [v.name, v.value]));
      containers[c.name] = {
        env: env.map((v) => ({ key: v.name, value: v.value })),
        mounts: d.volumes.mounts(c, volumes, envMap),
      };
    }
    return {
      containers,
      dnsConfig: podDnsConfig(pod, d.cfg.clusterDns, d.cfg.clusterDomain),
      hostname: podHostname(pod),
      logDirectory: podLogDirectory(podLogsRoot(d.cfg), ns, pod.metadata.name ?? '',
        pod.metadata.uid ?? ''),
    };
  };
}

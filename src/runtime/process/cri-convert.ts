/**
 * The process runtime's records as CRI messages, and CRI's list filters over the records. Pure,
 * so what the kubelet sees (states, timestamps in nanoseconds, reasons) is tested without
 * processes. Reasons follow containerd: an exit 0 is "Completed", any other "Error", a start
 * failure "StartError" with exit code 128 (set when it happens), an exit nobody saw "Unknown".
 */
import * as cri from '../../kubelet/cri/types.js';
import { containerMatches, sandboxMatches, statsMatch, type ContainerFacts } from '../cri-filters.js';
import type { ContainerRecord, SandboxRecord } from './state-store.js';

/** nanosOf converts wall milliseconds to CRI's int64 nanoseconds (0 stays 0: "not yet"). */
export function nanosOf(wallMs: number): bigint {
  return wallMs > 0 ? BigInt(Math.round(wallMs * 1000)) * 1000n : 0n;
}

function sandboxState(s: SandboxRecord): cri.PodSandboxState {
  return s.ready ? cri.PodSandboxState.SANDBOX_READY : cri.PodSandboxState.SANDBOX_NOTREADY;
}

/** matchSandbox applies a PodSandboxFilter (src/runtime/cri-filters.ts) to a record. */
export function matchSandbox(s: SandboxRecord, f: cri.PodSandboxFilter | undefined): boolean {
  return sandboxMatches(f, { id: s.id, state: sandboxState(s), labels: s.labels });
}

/** toPodSandbox is the ListPodSandbox item. */
export function toPodSandbox(s: SandboxRecord): cri.PodSandbox {
  return cri.PodSandbox.fromPartial({
    id: s.id, metadata: s.metadata, state: sandboxState(s), createdAt: nanosOf(s.createdAtMs),
    labels: s.labels, annotations: s.annotations, runtimeHandler: s.runtimeHandler,
  });
}

/** toPodSandboxStatus is PodSandboxStatus: the pod IP is the sandbox's loopback address, and
 *  the namespaces are the node's (NODE): a process pod shares the host's network and pids. */
export function toPodSandboxStatus(s: SandboxRecord): cri.PodSandboxStatus {
  const node = cri.NamespaceMode.NODE;
  return cri.PodSandboxStatus.fromPartial({
    id: s.id, metadata: s.metadata, state: sandboxState(s), createdAt: nanosOf(s.createdAtMs),
    network: { ip: s.ip, additionalIps: [] },
    linux: { namespaces: { options: { network: node, pid: node, ipc: node, targetId: '' } } },
    labels: s.labels, annotations: s.annotations, runtimeHandler: s.runtimeHandler,
  });
}

/** containerState maps a record's phase to CRI's enum. */
export function containerState(c: ContainerRecord): cri.ContainerState {
  switch (c.phase) {
    case 'created': return cri.ContainerState.CONTAINER_CREATED;
    case 'running': return cri.ContainerState.CONTAINER_RUNNING;
    case 'exited': return cri.ContainerState.CONTAINER_EXITED;
  }
}

/** containerFacts: what the CRI filters look at in a record. */
function containerFacts(c: ContainerRecord): ContainerFacts {
  return { id: c.id, podSandboxId: c.sandboxId, state: containerState(c), labels: c.labels };
}

/** matchContainer applies a ContainerFilter (src/runtime/cri-filters.ts) to a record. */
export function matchContainer(c: ContainerRecord, f: cri.ContainerFilter | undefined): boolean {
  return containerMatches(f, containerFacts(c));
}

function imageSpec(c: ContainerRecord): cri.ImageSpec {
  return cri.ImageSpec.fromPartial({ image: c.image, userSpecifiedImage: c.image });
}

/** toContainer is the ListContainers item. */
export function toContainer(c: ContainerRecord): cri.Container {
  return cri.Container.fromPartial({
    id: c.id, podSandboxId: c.sandboxId, metadata: c.metadata, image: imageSpec(c),
    imageRef: c.imageId, imageId: c.imageId, state: containerState(c),
    createdAt: nanosOf(c.createdAtMs), labels: c.labels, annotations: c.annotations,
  });
}

/** exitReason fills containerd's default reason for an exited container without one. */
export function exitReason(c: ContainerRecord): string {
  if (c.phase !== 'exited' || c.reason !== '') return c.reason;
  return c.exitCode === 0 ? 'Completed' : 'Error';
}

/** toContainerStatus is ContainerStatus. */
export function toContainerStatus(c: ContainerRecord): cri.ContainerStatus {
  return cri.ContainerStatus.fromPartial({
    id: c.id, metadata: c.metadata, state: containerState(c),
    createdAt: nanosOf(c.createdAtMs), startedAt: nanosOf(c.startedAtMs),
    finishedAt: nanosOf(c.finishedAtMs), exitCode: c.exitCode, image: imageSpec(c),
    imageRef: c.imageId, imageId: c.imageId, reason: exitReason(c), message: c.message,
    labels: c.labels, annotations: c.annotations, logPath: c.logPath,
    mounts: c.mounts.map((m) => ({ ...m, selinuxRelabel: false, recursiveReadOnly: false })),
  });
}

/** matchStats applies a ContainerStatsFilter to a record. */
export function matchStats(c: ContainerRecord, f: cri.ContainerStatsFilter | undefined): boolean {
  return statsMatch(f, containerFacts(c));
}

/** toContainerStats builds one stats entry from a process group's usage (absent: zeros, as a
 *  container that is not running uses nothing). */
export function toContainerStats(
  c: ContainerRecord, usage: { cpuNanos: bigint; rssBytes: bigint } | undefined, nowMs: number,
): cri.ContainerStats {
  const timestamp = nanosOf(nowMs);
  return cri.ContainerStats.fromPartial({
    attributes: { id: c.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
    cpu: { timestamp, usageCoreNanoSeconds: { value: usage?.cpuNanos ?? 0n } },
    memory: {
      timestamp, workingSetBytes: { value: usage?.rssBytes ?? 0n },
      rssBytes: { value: usage?.rssBytes ?? 0n }, usageBytes: { value: usage?.rssBytes ?? 0n },
    },
  });
}

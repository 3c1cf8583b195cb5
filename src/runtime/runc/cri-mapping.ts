/**
 * Pure conversions between CRI wire messages and the runtime's own records and views: the
 * request side validates and flattens (0 = unset, as on the wire), the response side renders a
 * record plus what was observed of its processes. Nothing here touches the host.
 */
import * as cri from '../../kubelet/cri/types.js';
import type { RuncImage } from './image-source.js';
import type { BindMountView, ResourcesView } from './oci-spec.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

/** resourcesView flattens CRI LinuxContainerResources (absent → all unset). */
export function resourcesView(r: cri.LinuxContainerResources | undefined): ResourcesView {
  return {
    cpuPeriod: Number(r?.cpuPeriod ?? 0n),
    cpuQuota: Number(r?.cpuQuota ?? 0n),
    cpuShares: Number(r?.cpuShares ?? 0n),
    memoryLimitBytes: Number(r?.memoryLimitInBytes ?? 0n),
    oomScoreAdj: Number(r?.oomScoreAdj ?? 0n),
    cpusetCpus: r?.cpusetCpus ?? '',
    cpusetMems: r?.cpusetMems ?? '',
  };
}

/** linuxResources renders a ResourcesView back to the wire (ContainerStatus.resources). */
export function linuxResources(v: ResourcesView): cri.LinuxContainerResources {
  return cri.LinuxContainerResources.fromPartial({
    cpuPeriod: BigInt(v.cpuPeriod),
    cpuQuota: BigInt(v.cpuQuota),
    cpuShares: BigInt(v.cpuShares),
    memoryLimitInBytes: BigInt(v.memoryLimitBytes),
    oomScoreAdj: BigInt(v.oomScoreAdj),
    cpusetCpus: v.cpusetCpus,
    cpusetMems: v.cpusetMems,
  });
}

/** mountViews validates CRI mounts: both paths absolute, else INVALID_ARGUMENT. */
export function mountViews(mounts: cri.Mount[]): BindMountView[] {
  return mounts.map((m) => {
    if (!m.containerPath.startsWith('/') || !m.hostPath.startsWith('/')) {
      throw cri.criInvalid(`mount paths must be absolute: "${m.hostPath}" -> "${m.containerPath}"`);
    }
    const propagation = m.propagation === cri.MountPropagation.PROPAGATION_BIDIRECTIONAL
      ? 'rshared' as const
      : m.propagation === cri.MountPropagation.PROPAGATION_HOST_TO_CONTAINER
        ? 'rslave' as const
        : 'private' as const;
    return { containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly,
      propagation };
  });
}

/** criMounts renders mounts back for ContainerStatus. */
export function criMounts(mounts: BindMountView[]): cri.Mount[] {
  return mounts.map((m) => cri.Mount.fromPartial({
    containerPath: m.containerPath,
    hostPath: m.hostPath,
    readonly: m.readonly,
    propagation: m.propagation === 'rshared'
      ? cri.MountPropagation.PROPAGATION_BIDIRECTIONAL
      : m.propagation === 'rslave'
        ? cri.MountPropagation.PROPAGATION_HOST_TO_CONTAINER
        : cri.MountPropagation.PROPAGATION_PRIVATE,
  }));
}

/** sandboxState maps the record's state to the wire enum. */
export function sandboxState(record: SandboxRecord): cri.PodSandboxState {
  return record.state === 'ready'
    ? cri.PodSandboxState.SANDBOX_READY
    : cri.PodSandboxState.SANDBOX_NOTREADY;
}

/** sandboxMetadata renders the pod's identity. */
function sandboxMetadata(record: SandboxRecord): cri.PodSandboxMetadata {
  return cri.PodSandboxMetadata.fromPartial({
    name: record.name, uid: record.uid, namespace: record.namespace, attempt: record.attempt,
  });
}

/** toPodSandbox renders a ListPodSandbox item. */
export function toPodSandbox(record: SandboxRecord): cri.PodSandbox {
  return cri.PodSandbox.fromPartial({
    id: record.id,
    metadata: sandboxMetadata(record),
    state: sandboxState(record),
    createdAt: BigInt(record.createdAtNs),
    labels: record.labels,
    annotations: record.annotations,
    runtimeHandler: record.runtimeHandler,
  });
}

/** toPodSandboxStatus renders PodSandboxStatus; a stopped sandbox reports no IP. */
export function toPodSandboxStatus(record: SandboxRecord): cri.PodSandboxStatus {
  return cri.PodSandboxStatus.fromPartial({
    id: record.id,
    metadata: sandboxMetadata(record),
    state: sandboxState(record),
    createdAt: BigInt(record.createdAtNs),
    network: { ip: record.state === 'ready' ? record.podIp : '' },
    linux: { namespaces: { options: {
      network: cri.NamespaceMode.POD, pid: cri.NamespaceMode.CONTAINER,
      ipc: cri.NamespaceMode.CONTAINER,
    } } },
    labels: record.labels,
    annotations: record.annotations,
    runtimeHandler: record.runtimeHandler,
  });
}

/** ContainerObservation is what the runtime learnt of a container's process just now. */
export interface ContainerObservation {
  state: cri.ContainerState;
  startedAtNs?: string;
  finishedAtNs?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
}

/** toContainer renders a ListContainers item. */
export function toContainer(record: ContainerRecord, seen: ContainerObservation): cri.Container {
  return cri.Container.fromPartial({
    id: record.id,
    podSandboxId: record.sandboxId,
    metadata: { name: record.name, attempt: record.attempt },
    image: { image: record.image },
    imageRef: record.imageId,
    imageId: record.imageId,
    state: seen.state,
    createdAt: BigInt(record.createdAtNs),
    labels: record.labels,
    annotations: record.annotations,
  });
}

/** toContainerStatus renders ContainerStatus from the record and the observation. */
export function toContainerStatus(record: ContainerRecord, seen: ContainerObservation):
  cri.ContainerStatus {
  return cri.ContainerStatus.fromPartial({
    id: record.id,
    metadata: { name: record.name, attempt: record.attempt },
    state: seen.state,
    createdAt: BigInt(record.createdAtNs),
    startedAt: BigInt(seen.startedAtNs ?? '0'),
    finishedAt: BigInt(seen.finishedAtNs ?? '0'),
    exitCode: seen.exitCode ?? 0,
    image: { image: record.image },
    imageRef: record.imageId,
    imageId: record.imageId,
    reason: seen.reason ?? '',
    message: seen.message ?? '',
    labels: record.labels,
    annotations: record.annotations,
    mounts: criMounts(record.mounts),
    logPath: record.logPath,
    resources: { linux: linuxResources(record.resources) },
  });
}

/** toImage renders a stored image as ListImages/ImageStatus report it. */
export function toImage(image: RuncImage): cri.Image {
  const user = image.config.user.split(':')[0] ?? '';
  const numeric = /^\d+$/.test(user);
  return cri.Image.fromPartial({
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    size: BigInt(image.sizeBytes),
    uid: numeric ? { value: BigInt(user) } : undefined,
    username: numeric ? '' : user,
    spec: { image: image.id },
    pinned: false,
  });
}

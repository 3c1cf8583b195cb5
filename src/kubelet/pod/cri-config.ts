/**
 * The CRI configs the kubelet hands its runtime, built purely from the pod and what the node
 * prepared (env, mounts, DNS, log directory): PodSandboxConfig for RunPodSandbox and
 * ContainerConfig for CreateContainer. Labels and annotations use upstream's keys, because
 * tools that read a node's runtime (and our own worker after a kubelet restart) find pods and
 * containers by them: io.kubernetes.pod.{name,namespace,uid}, io.kubernetes.container.name,
 * and the container's hash and restart count.
 */
import type { Container, ContainerPort, Pod } from '../../api/core/v1/pod-types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { assert } from '../../base/assert.js';
import {
  ContainerConfig,
  LinuxContainerResources,
  MountPropagation,
  NamespaceMode,
  PodSandboxConfig,
  Protocol,
  type LinuxContainerSecurityContext,
  type Mount,
  type NamespaceOption,
  type PortMapping,
} from '../cri/types.js';
import { containerSpecHash } from './container-hash.js';
import type { PreparedMount, PreparedPod } from './types.js';

/** Label keys upstream's kubelet puts on sandboxes and containers. */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotation keys on containers. */
export const ANNOTATION_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';

/** CPU CFS period upstream uses (100 ms), and the smallest quota and shares it sets. */
export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1_000;
const MIN_SHARES = 2;

/** podLabels are the labels that identify a pod's sandbox and containers in the runtime. */
export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata;
  assert(m.name !== undefined && m.uid !== undefined, 'cri-config: pod without name or uid');
  return {
    [LABEL_POD_NAME]: m.name,
    [LABEL_POD_NAMESPACE]: m.namespace ?? 'default',
    [LABEL_POD_UID]: m.uid,
  };
}

/** portMappings lists every container port (upstream's makePortMappings). */
function portMappings(pod: Pod): PortMapping[] {
  const ports: ContainerPort[] = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  return ports.map((p) => ({
    protocol: p.protocol === 'UDP' ? Protocol.UDP : p.protocol === 'SCTP' ? Protocol.SCTP
      : Protocol.TCP,
    containerPort: p.containerPort,
    hostPort: p.hostPort ?? 0,
    hostIp: p.hostIP ?? '',
  }));
}

/** buildSandboxConfig is RunPodSandbox's config for attempt `attempt` of the pod. */
export function buildSandboxConfig(pod: Pod, prepared: PreparedPod, attempt: number) {
  const m = pod.metadata;
  return PodSandboxConfig.fromPartial({
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? 'default',
      uid: m.uid ?? '',
      attempt,
    },
    hostname: prepared.hostname,
    logDirectory: prepared.logDirectory,
    dnsConfig: { ...prepared.dnsConfig },
    portMappings: portMappings(pod),
    labels: { ...(m.labels ?? {}), ...podLabels(pod) },
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroupParent: '',
      sysctls: Object.fromEntries((pod.spec?.securityContext?.sysctls ?? [])
        .map((x) => [x.name, x.value])),
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        ...userFields(pod, undefined),
      },
    },
  });
}

/** namespaceOptions: host namespaces when the pod asks (hostNetwork, hostPID, hostIPC), the
 *  pod's shared PID namespace with shareProcessNamespace, else per-container PID. */
export function namespaceOptions(pod: Pod): NamespaceOption {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork === true ? NamespaceMode.NODE : NamespaceMode.POD,
    pid: spec?.hostPID === true ? NamespaceMode.NODE
      : spec?.shareProcessNamespace === true ? NamespaceMode.POD
      : NamespaceMode.CONTAINER,
    ipc: spec?.hostIPC === true ? NamespaceMode.NODE : NamespaceMode.POD,
    targetId: '',
  };
}

/** userFields: runAsUser/runAsGroup (the container's override the pod's) and the pod's
 *  supplemental groups, as CRI's optional Int64Values. */
function userFields(pod: Pod, c: Container | undefined) {
  const podSc = pod.spec?.securityContext;
  const user = c?.securityContext?.runAsUser ?? podSc?.runAsUser;
  const group = c?.securityContext?.runAsGroup ?? podSc?.runAsGroup;
  return {
    ...(user !== undefined ? { runAsUser: { value: BigInt(user) } } : {}),
    ...(group !== undefined ? { runAsGroup: { value: BigInt(group) } } : {}),
    supplementalGroups: [...(podSc?.supplementalGroups ?? []), ...(podSc?.fsGroup !== undefined
      ? [podSc.fsGroup]
      : [])].map((g) => BigInt(g)),
  };
}

/** containerSecurity maps a container's securityContext (with the pod's defaults). */
export function containerSecurity(pod: Pod, c: Container): Partial<LinuxContainerSecurityContext> {
  const sc = c.securityContext;
  return {
    namespaceOptions: namespaceOptions(pod),
    ...userFields(pod, c),
    privileged: sc?.privileged ?? false,
    readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
    noNewPrivs: sc?.allowPrivilegeEscalation === false,
    ...(sc?.capabilities !== undefined ? {
      capabilities: {
        addCapabilities: sc.capabilities.add ?? [],
        dropCapabilities: sc.capabilities.drop ?? [],
        addAmbientCapabilities: [],
      },
    } : {}),
  };
}

/** criMount converts a prepared mount. */
function criMount(p: PreparedMount): Mount {
  const propagation = p.propagation === 'bidirectional'
    ? MountPropagation.PROPAGATION_BIDIRECTIONAL
    : p.propagation === 'hostToContainer'
    ? MountPropagation.PROPAGATION_HOST_TO_CONTAINER
    : MountPropagation.PROPAGATION_PRIVATE;
  return {
    containerPath: p.containerPath,
    hostPath: p.hostPath,
    readonly: p.readonly,
    selinuxRelabel: false,
    propagation,
    recursiveReadOnly: false,
  };
}

/** ContainerConfigInput: which container, which attempt, and what the node prepared. */
export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  attempt: number;
  prepared: PreparedPod;
}

/** containerLogPath is "<container>/<attempt>.log", relative to the sandbox log directory. */
export function containerLogPath(name: string, attempt: number): string {
  return `${name}/${attempt}.log`;
}

/** buildContainerConfig is CreateContainer's config for one attempt of one container. */
export function buildContainerConfig(input: ContainerConfigInput) {
  const { pod, container: c, attempt } = input;
  const prepared = input.prepared.containers[c.name] ?? { env: [], mounts: [] };
  return ContainerConfig.fromPartial({
    metadata: { name: c.name, attempt },
    image: { image: c.image ?? '', userSpecifiedImage: c.image ?? '' },
    command: c.command ?? [],
    args: c.args ?? [],
    workingDir: c.workingDir ?? '',
    envs: prepared.env.map((e) => ({ key: e.key, value: e.value })),
    mounts: prepared.mounts.map(criMount),
    labels: { ...podLabels(pod), [LABEL_CONTAINER_NAME]: c.name },
    annotations: {
      [ANNOTATION_HASH]: containerSpecHash(c),
      [ANNOTATION_RESTART_COUNT]: String(attempt),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
      [ANNOTATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    logPath: containerLogPath(c.name, attempt),
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: { resources: linuxResources(c), securityContext: containerSecurity(pod, c) },
  });
}

/** milliCpu reads a cpu quantity as millicores (rounded up), or undefined. */
function milliCpu(raw: string | number | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const q = parseQuantity(raw);
  if (typeof q === 'string') return undefined;
  return Number((q.nanos + 999_999n) / 1_000_000n);
}

/** bytesOf reads a memory quantity as bytes (rounded up), or undefined. */
function bytesOf(raw: string | number | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  const q = parseQuantity(raw);
  if (typeof q === 'string') return undefined;
  return (q.nanos + 999_999_999n) / 1_000_000_000n;
}

/**
 * linuxResources turns requests and limits into cgroup values as upstream does: cpu shares
 * from the request (a limit alone implies an equal request; none means the minimum, 2), a CFS
 * quota from the cpu limit over a 100 ms period, the memory limit in bytes.
 */
export function linuxResources(c: Container): LinuxContainerResources {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const cpuLimitMilli = milliCpu(limits.cpu);
  const cpuRequestMilli = milliCpu(requests.cpu) ?? cpuLimitMilli;
  const shares = cpuRequestMilli === undefined
    ? MIN_SHARES
    : Math.max(MIN_SHARES, Math.floor((cpuRequestMilli * 1024) / 1000));
  const quota = cpuLimitMilli === undefined
    ? 0
    : Math.max(MIN_QUOTA_US, Math.floor((cpuLimitMilli * CPU_PERIOD_US) / 1000));
  return LinuxContainerResources.fromPartial({
    cpuShares: BigInt(shares),
    cpuQuota: BigInt(quota),
    cpuPeriod: cpuLimitMilli === undefined ? 0n : BigInt(CPU_PERIOD_US),
    memoryLimitInBytes: bytesOf(limits.memory) ?? 0n,
  });
}

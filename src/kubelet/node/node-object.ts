/**
 * The Node object a kubelet registers and the status it posts, built from plain facts (config,
 * host, runtime) and the time: pure, so the whole node face is table-tested without a cluster.
 * Shapes, labels, reasons and messages are upstream's, because kubectl, the scheduler and the
 * node lifecycle controller read them.
 */
import type { Node, NodeStatus, Taint } from '../../api/core/v1/cluster-kinds.js';
import type { Condition, ResourceList } from '../../api/core/v1/common-types.js';
import { parseQuantity, quantityString } from '../../api/validation/quantity.js';
import type { KubeletConfig } from '../config.js';

/** KUBELET_VERSION: what nodeInfo.kubeletVersion (and kubectl get nodes) shows. */
export const KUBELET_VERSION = 'v1.32.0-k8ts';

/** Well-known labels and the control-plane role/taint key. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const CONTROL_PLANE_KEY = 'node-role.kubernetes.io/control-plane';

/** HostFacts: what the machine says about itself (read by host-facts.ts). */
export interface HostFacts {
  osImage: string;
  kernelVersion: string;
  /** Kubernetes' spelling: amd64, arm64. */
  architecture: string;
  operatingSystem: string;
  machineID: string;
  bootID: string;
  systemUUID: string;
}

/** RuntimeFacts: the CRI runtime's Version and Status answers, reduced. */
export interface RuntimeFacts {
  name: string;
  version: string;
  /** RuntimeReady and NetworkReady both true. */
  ready: boolean;
  /** Why not ready (empty when ready). */
  message: string;
}

/** nodeLabels: the labels the kubelet owns on its node. */
export function nodeLabels(cfg: KubeletConfig, host: HostFacts): Record<string, string> {
  return {
    ...cfg.nodeLabels,
    [LABEL_HOSTNAME]: cfg.nodeName,
    [LABEL_OS]: host.operatingSystem,
    [LABEL_ARCH]: host.architecture,
    ...(cfg.role === 'master' ? { [CONTROL_PLANE_KEY]: '' } : {}),
  };
}

/** nodeTaints: registered with the node (upstream --register-with-taints; kubeadm's). */
export function nodeTaints(cfg: KubeletConfig): Taint[] {
  return cfg.role === 'master' ? [{ key: CONTROL_PLANE_KEY, effect: 'NoSchedule' }] : [];
}

/**
 * allocatableOf: capacity − reserved per resource, never below zero, printed canonically (a
 * resource reserved but not in capacity is ignored, as upstream).
 */
export function allocatableOf(capacity: ResourceList, reserved: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [name, raw] of Object.entries(capacity)) {
    const cap = parseQuantity(raw);
    if (typeof cap === 'string') continue;
    const res = parseQuantity(reserved[name] ?? '0');
    const left = cap.nanos - (typeof res === 'string' ? 0n : res.nanos);
    out[name] = quantityString({ nanos: left > 0n ? left : 0n, format: cap.format });
  }
  return out;
}

/** canonicalList re-prints every quantity of a list canonically (invalid ones dropped). */
export function canonicalList(list: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [name, raw] of Object.entries(list)) {
    const q = parseQuantity(raw);
    if (typeof q !== 'string') out[name] = quantityString(q);
  }
  return out;
}

/** newNodeObject: what registration creates (spec, labels, taints and a first status). */
export function newNodeObject(cfg: KubeletConfig, host: HostFacts, status: NodeStatus): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.nodeName,
      labels: nodeLabels(cfg, host),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      ...(cfg.podCidrs.length > 0 ? { podCIDR: cfg.podCidrs[0], podCIDRs: [...cfg.podCidrs] } : {}),
      taints: nodeTaints(cfg),
    },
    status,
  };
}

/** StatusInput: everything a node status is computed from. */
export interface StatusInput {
  cfg: KubeletConfig;
  host: HostFacts;
  runtime: RuntimeFacts;
  /** The conditions last posted (their lastTransitionTime survives when status is unchanged). */
  previous: readonly Condition[];
  /** metav1.Time of now. */
  now: string;
}

/** nodeStatus computes the whole status the kubelet posts. */
export function nodeStatus(i: StatusInput): NodeStatus {
  const { cfg, host, runtime } = i;
  return {
    capacity: canonicalList(cfg.capacity),
    allocatable: allocatableOf(cfg.capacity, cfg.reserved),
    phase: 'Running',
    conditions: nodeConditions(runtime, i.previous, i.now),
    addresses: [
      { type: 'InternalIP', address: cfg.address },
      { type: 'Hostname', address: cfg.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
    nodeInfo: {
      machineID: host.machineID,
      systemUUID: host.systemUUID,
      bootID: host.bootID,
      kernelVersion: host.kernelVersion,
      osImage: host.osImage,
      containerRuntimeVersion: `${runtime.name}://${runtime.version}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: host.operatingSystem,
      architecture: host.architecture,
    },
  };
}

type ConditionCore = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/** nodeConditions: pressures False (nothing measures them yet), Ready from the runtime. */
export function nodeConditions(
  runtime: RuntimeFacts,
  previous: readonly Condition[],
  now: string,
): Condition[] {
  const cores: ConditionCore[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available' },
    runtime.ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady',
        message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady',
        message: runtime.message || 'container runtime is not ready' },
  ];
  return cores.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const since = prev?.status === c.status ? (prev.lastTransitionTime ?? now) : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: since };
  });
}

/**
 * statusChanged: does next differ from prev in anything but heartbeat times? (upstream writes
 * node status only then, or once per nodeStatusReportFrequency.)
 */
export function statusChanged(prev: NodeStatus | undefined, next: NodeStatus): boolean {
  if (prev === undefined) return true;
  return JSON.stringify(withoutHeartbeats(prev)) !== JSON.stringify(withoutHeartbeats(next));
}

function withoutHeartbeats(s: NodeStatus): unknown {
  const conditions = (s.conditions ?? [])
    .map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }))
    .sort((a, b) => a.type.localeCompare(b.type));
  return [s.capacity, s.allocatable, conditions, s.addresses, s.daemonEndpoints, s.nodeInfo]
    .map((v) => canonicalJson(v));
}

/** canonicalJson: key order does not matter (the API server may reorder maps). */
function canonicalJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJson);
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
    a.localeCompare(b));
  return Object.fromEntries(entries.map(([k, x]) => [k, canonicalJson(x)]));
}

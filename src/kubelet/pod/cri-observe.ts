/**
 * Reads one pod's state from the runtime into an ObservedPod. Two list calls per sync (the
 * pod's sandboxes and containers, by the io.kubernetes.pod.uid label); ContainerStatus and
 * PodSandboxStatus are asked only for instances that are new or whose listed state changed,
 * because the fields they add (start/finish times, exit code, IPs) only change with the state;
 * those status calls go out together. That keeps a sync of a steady pod at two cheap calls —
 * the price of polling every second.
 */
import { assert } from '../../base/assert.js';
import {
  ContainerState,
  PodSandboxState,
  isCriNotFound,
  type ContainerStatus,
  type CriRuntime,
  type PodSandboxStatus,
} from '../cri/types.js';
import { ANNOTATION_HASH, LABEL_CONTAINER_NAME, LABEL_POD_UID } from './cri-config.js';
import type {
  ObservedContainer,
  ObservedContainerState,
  ObservedPod,
  ObservedSandbox,
} from './observed.js';

/** nsToMs converts CRI nanoseconds since the epoch to milliseconds (0 stays 0). */
export function nsToMs(ns: bigint | number): number {
  return typeof ns === 'bigint' ? Number(ns / 1_000_000n) : Math.floor(ns / 1e6);
}

/** containerStateOf maps CRI's ContainerState to ours. */
export function containerStateOf(s: ContainerState): ObservedContainerState {
  switch (s) {
    case ContainerState.CONTAINER_CREATED: return 'created';
    case ContainerState.CONTAINER_RUNNING: return 'running';
    case ContainerState.CONTAINER_EXITED: return 'exited';
    default: return 'unknown';
  }
}

/** fromContainerStatus converts a CRI ContainerStatus (pure). */
export function fromContainerStatus(s: ContainerStatus, sandboxId: string): ObservedContainer {
  return {
    id: s.id,
    name: s.metadata?.name ?? s.labels[LABEL_CONTAINER_NAME] ?? '',
    attempt: s.metadata?.attempt ?? 0,
    sandboxId,
    state: containerStateOf(s.state),
    createdAtMs: nsToMs(s.createdAt),
    startedAtMs: nsToMs(s.startedAt),
    finishedAtMs: nsToMs(s.finishedAt),
    exitCode: s.exitCode,
    reason: s.reason,
    message: s.message,
    image: s.image?.userSpecifiedImage || s.image?.image || '',
    imageRef: s.imageRef,
    specHash: s.annotations[ANNOTATION_HASH] ?? '',
    logPath: s.logPath,
  };
}

/** fromSandboxStatus converts a CRI PodSandboxStatus (pure). */
export function fromSandboxStatus(s: PodSandboxStatus): ObservedSandbox {
  const ready = s.state === PodSandboxState.SANDBOX_READY;
  const net = s.network;
  const ips = ready && net !== undefined && net.ip !== ''
    ? [net.ip, ...net.additionalIps.map((p) => p.ip)]
    : [];
  return {
    id: s.id,
    attempt: s.metadata?.attempt ?? 0,
    ready,
    createdAtMs: nsToMs(s.createdAt),
    ips,
  };
}

/** Started: what a sync that only started things made — in sandboxId, new or not. */
export interface Started {
  sandboxId: string;
  newSandbox: boolean;
  containerIds: readonly string[];
}

/**
 * PodObserver reads one pod from the runtime, caching per-instance details keyed by id and
 * listed state. Not safe for concurrent use: the pod worker syncs one at a time.
 */
export class PodObserver {
  private readonly containers = new Map<string, ObservedContainer>();
  private readonly sandboxes = new Map<string, ObservedSandbox>();

  /** empty: the runtime is known to hold nothing of the pod yet (the node's last listing,
   *  pleg/relister.ts), so the first observe answers that without listing. */
  constructor(
    private readonly cri: CriRuntime,
    private readonly uid: string,
    private empty = false,
  ) {
    assert(uid !== '', 'PodObserver: empty uid');
  }

  /** observe lists the pod's sandboxes and containers and fills in what changed. */
  async observe(): Promise<ObservedPod> {
    if (this.empty) {
      this.empty = false;
      return { sandboxes: [], containers: [] };
    }
    const selector = { [LABEL_POD_UID]: this.uid };
    const [sbList, ctrList] = await Promise.all([
      this.cri.listPodSandbox({ filter: { id: '', labelSelector: selector } }),
      this.cri.listContainers({ filter: { id: '', podSandboxId: '', labelSelector: selector } }),
    ]);
    // The status calls go out at once (a pod has a handful of instances: gc.ts bounds them).
    const [sbs, cs] = await Promise.all([
      Promise.all(sbList.items.map((item) => {
        const ready = item.state === PodSandboxState.SANDBOX_READY;
        const sb = this.sandboxes.get(item.id);
        return sb === undefined || sb.ready !== ready ? this.sandboxStatus(item.id) : sb;
      })),
      Promise.all(ctrList.containers.map((item) => {
        const c = this.containers.get(item.id);
        return c === undefined || c.state !== containerStateOf(item.state)
          ? this.containerStatus(item.id, item.podSandboxId) : c;
      })),
    ]);
    const sandboxes = sbs.filter((sb) => sb !== undefined);
    const containers = cs.filter((c) => c !== undefined);
    this.prune(sandboxes, containers);
    return { sandboxes, containers };
  }

  /**
   * afterStart: the observation after a sync that only started things — the one it began with
   * plus the new sandbox (remembered) and containers (their status asked), without listing
   * again. Undefined when one of them cannot be had (the caller observes in full).
   */
  async afterStart(before: ObservedPod, s: Started): Promise<ObservedPod | undefined> {
    const sb = this.sandboxes.get(s.sandboxId);
    if (s.newSandbox && sb === undefined) return undefined;
    const made = await Promise.all(s.containerIds.map((id) =>
      this.containerStatus(id, s.sandboxId)));
    const containers = made.filter((c) => c !== undefined);
    if (containers.length < made.length) return undefined;
    return {
      sandboxes: s.newSandbox && sb !== undefined ? [...before.sandboxes, sb] : before.sandboxes,
      containers: [...before.containers, ...containers],
    };
  }

  /** remember caches a sandbox's status the worker just read (after RunPodSandbox), so the
   *  next observe need not ask for it again. */
  remember(status: PodSandboxStatus): void {
    this.sandboxes.set(status.id, fromSandboxStatus(status));
  }

  /** forget drops an instance the worker removed. */
  forget(id: string): void {
    this.containers.delete(id);
    this.sandboxes.delete(id);
  }

  /** sandboxStatus asks for one sandbox; undefined when it vanished meanwhile. */
  private async sandboxStatus(id: string): Promise<ObservedSandbox | undefined> {
    try {
      const res = await this.cri.podSandboxStatus({ podSandboxId: id, verbose: false });
      if (res.status === undefined) return undefined;
      const sb = fromSandboxStatus(res.status);
      this.sandboxes.set(id, sb);
      return sb;
    } catch (err) {
      if (isCriNotFound(err)) return undefined;
      throw err;
    }
  }

  /** containerStatus asks for one container; undefined when it vanished meanwhile. */
  private async containerStatus(id: string, sandboxId: string) {
    try {
      const res = await this.cri.containerStatus({ containerId: id, verbose: false });
      if (res.status === undefined) return undefined;
      const c = fromContainerStatus(res.status, sandboxId);
      this.containers.set(id, c);
      return c;
    } catch (err) {
      if (isCriNotFound(err)) return undefined;
      throw err;
    }
  }

  /** prune keeps the caches to what the runtime still lists (so they are bounded by what the
   *  worker's garbage collection leaves: two instances per container). */
  private prune(sandboxes: ObservedSandbox[], containers: ObservedContainer[]): void {
    const sbIds = new Set(sandboxes.map((s) => s.id));
    for (const id of this.sandboxes.keys()) if (!sbIds.has(id)) this.sandboxes.delete(id);
    const cIds = new Set(containers.map((c) => c.id));
    for (const id of this.containers.keys()) if (!cIds.has(id)) this.containers.delete(id);
  }
}

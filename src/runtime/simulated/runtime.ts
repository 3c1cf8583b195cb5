/**
 * SimulatedRuntime: a CRI runtime with nothing behind it, for hollow nodes (KWOK- and
 * kubemark-style scale experiments): a sandbox is a record with an address from the node's pod
 * range, a started container is RUNNING until it is stopped, every image is present, exec probes
 * succeed. Thousands of pods cost a few hundred bytes each, so one process can play a thousand
 * kubelets while the control plane above them is real.
 *
 * What it does not do: run anything (so exec, attach, port-forward and logs are UNIMPLEMENTED and
 * a container never exits on its own — a Job's pods never complete), enforce resources, or keep
 * state across restarts.
 */
import { status as code } from '@grpc/grpc-js';
import * as cri from '../../gen/cri/runtime/v1/api.js';
import { CriError, criNotFound, criPrecondition, type CriRuntime } from '../../kubelet/cri/types.js';
import { cidrSize, formatIpv4, parseCidr, parseIpv4 } from '../cidr.js';
import { containerMatches, sandboxMatches, statsMatch } from '../cri-filters.js';

/** SimulatedRuntimeOptions: the node's pod range and wall time (for CRI timestamps). */
export interface SimulatedRuntimeOptions {
  /** An IPv4 /16../24 the pod addresses are drawn from (they are never bound or routed). */
  podCidr: string;
  wallMs(): number;
}

interface SandboxRecord {
  status: cri.PodSandboxStatus;
}

interface ContainerRecord {
  status: cri.ContainerStatus;
  podSandboxId: string;
}

/** SIMULATED_VERSION: what Version reports (the node's containerRuntimeVersion). */
export const SIMULATED_VERSION = { runtimeName: 'simulated', runtimeVersion: '1.0.0' };

export class SimulatedRuntime implements CriRuntime {
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly freeHosts: number[];
  private readonly base: number;
  private nextId = 1;

  constructor(private readonly o: SimulatedRuntimeOptions) {
    const range = parseCidr(o.podCidr);
    const size = cidrSize(range);
    this.base = range.network;
    // .0 is the network, .1 the gateway, the last the broadcast address.
    this.freeHosts = Array.from({ length: Math.max(0, size - 3) }, (_, i) => size - 2 - i);
  }

  private nowNs(): bigint {
    return BigInt(Math.round(this.o.wallMs())) * 1_000_000n;
  }

  private id(prefix: string): string {
    return `${prefix}${(this.nextId++).toString(16).padStart(12, '0')}`;
  }

  private ipOf(host: number): string {
    return formatIpv4(this.base + host);
  }

  async version(): Promise<cri.VersionResponse> {
    return ({ version: '0.1.0', runtimeApiVersion: 'v1', ...SIMULATED_VERSION });
  }

  async status(): Promise<cri.StatusResponse> {
    const ready = (type: string): cri.RuntimeCondition => ({ type, status: true, reason: '', message: '' });
    return ({ status: { conditions: [ready('RuntimeReady'), ready('NetworkReady')] }, info: {} });
  }

  async runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    const host = this.freeHosts.pop();
    if (host === undefined) throw new CriError(code.RESOURCE_EXHAUSTED, `no free address in ${this.o.podCidr}`);
    const id = this.id('sb');
    const c = req.config;
    this.sandboxes.set(id, {
      status: {
        id, metadata: c?.metadata, state: cri.PodSandboxState.SANDBOX_READY, createdAt: this.nowNs(),
        network: { ip: this.ipOf(host), additionalIps: [] }, labels: { ...c?.labels },
        annotations: { ...c?.annotations }, runtimeHandler: req.runtimeHandler,
      },
    });
    return ({ podSandboxId: id });
  }

  async stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse> {
    const s = this.sandboxes.get(req.podSandboxId);
    if (s === undefined || s.status.state === cri.PodSandboxState.SANDBOX_NOTREADY) return ({});
    for (const c of this.containers.values()) if (c.podSandboxId === req.podSandboxId) this.exit(c, 137, 'Error');
    s.status.state = cri.PodSandboxState.SANDBOX_NOTREADY;
    this.release(s);
    return ({});
  }

  async removePodSandbox(req: cri.RemovePodSandboxRequest): Promise<cri.RemovePodSandboxResponse> {
    const s = this.sandboxes.get(req.podSandboxId);
    if (s === undefined) return ({});
    for (const [id, c] of this.containers) if (c.podSandboxId === req.podSandboxId) this.containers.delete(id);
    if (s.status.state === cri.PodSandboxState.SANDBOX_READY) this.release(s);
    this.sandboxes.delete(req.podSandboxId);
    return ({});
  }

  private release(s: SandboxRecord): void {
    const ip = s.status.network?.ip ?? '';
    this.freeHosts.push(parseIpv4(ip) - this.base);
  }

  async podSandboxStatus(req: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse> {
    const s = this.sandbox(req.podSandboxId);
    const containersStatuses = [...this.containers.values()]
      .filter((c) => c.podSandboxId === req.podSandboxId).map((c) => structuredClone(c.status));
    return ({ status: structuredClone(s.status), info: {}, containersStatuses, timestamp: this.nowNs() });
  }

  async listPodSandbox(req: cri.ListPodSandboxRequest): Promise<cri.ListPodSandboxResponse> {
    const items = [...this.sandboxes.values()]
      .filter((s) => sandboxMatches(req.filter, s.status))
      .map(({ status: s }): cri.PodSandbox => ({
        id: s.id, metadata: s.metadata, state: s.state, createdAt: s.createdAt, labels: s.labels,
        annotations: s.annotations, runtimeHandler: s.runtimeHandler,
      }));
    return ({ items });
  }

  async createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
    const s = this.sandbox(req.podSandboxId);
    if (s.status.state !== cri.PodSandboxState.SANDBOX_READY) {
      throw criPrecondition(`sandbox ${req.podSandboxId} is not ready`);
    }
    const c = req.config;
    const id = this.id('ct');
    const logDir = req.sandboxConfig?.logDirectory ?? '';
    this.containers.set(id, {
      podSandboxId: req.podSandboxId,
      status: {
        id, metadata: c?.metadata, state: cri.ContainerState.CONTAINER_CREATED, createdAt: this.nowNs(),
        startedAt: 0n, finishedAt: 0n, exitCode: 0, image: c?.image, imageRef: c?.image?.image ?? '',
        reason: '', message: '', labels: { ...c?.labels }, annotations: { ...c?.annotations },
        mounts: c?.mounts ?? [], logPath: logDir === '' ? '' : `${logDir}/${c?.logPath ?? ''}`,
        imageId: c?.image?.image ?? '',
      },
    });
    return ({ containerId: id });
  }

  async startContainer(req: cri.StartContainerRequest): Promise<cri.StartContainerResponse> {
    const c = this.container(req.containerId);
    if (c.status.state !== cri.ContainerState.CONTAINER_CREATED) {
      throw criPrecondition(`container ${req.containerId} is not in created state`);
    }
    c.status.state = cri.ContainerState.CONTAINER_RUNNING;
    c.status.startedAt = this.nowNs();
    return ({});
  }

  async stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse> {
    const c = this.container(req.containerId);
    // A simulated process honours SIGTERM at once: exit 0 unless killed without a grace period.
    if (c.status.state === cri.ContainerState.CONTAINER_RUNNING) {
      this.exit(c, req.timeout === 0n ? 137 : 0, req.timeout === 0n ? 'Error' : 'Completed');
    }
    return ({});
  }

  private exit(c: ContainerRecord, exitCode: number, reason: string): void {
    if (c.status.state === cri.ContainerState.CONTAINER_EXITED) return;
    c.status.state = cri.ContainerState.CONTAINER_EXITED;
    c.status.finishedAt = this.nowNs();
    c.status.exitCode = exitCode;
    c.status.reason = reason;
  }

  async removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse> {
    this.containers.delete(req.containerId);
    return ({});
  }

  async listContainers(req: cri.ListContainersRequest): Promise<cri.ListContainersResponse> {
    const containers = [...this.containers.values()]
      .filter((c) => containerMatches(req.filter, { ...c.status, podSandboxId: c.podSandboxId }))
      .map(({ status: s, podSandboxId }): cri.Container => ({
        id: s.id, podSandboxId, metadata: s.metadata, image: s.image, imageRef: s.imageRef,
        state: s.state, createdAt: s.createdAt, labels: s.labels, annotations: s.annotations,
        imageId: s.imageId,
      }));
    return ({ containers });
  }

  async containerStatus(req: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse> {
    return ({ status: structuredClone(this.container(req.containerId).status), info: {} });
  }

  async updateContainerResources(req: cri.UpdateContainerResourcesRequest): Promise<cri.UpdateContainerResourcesResponse> {
    this.container(req.containerId);
    return ({});
  }

  async reopenContainerLog(req: cri.ReopenContainerLogRequest): Promise<cri.ReopenContainerLogResponse> {
    this.container(req.containerId);
    return ({});
  }

  async execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    const c = this.container(req.containerId);
    if (c.status.state !== cri.ContainerState.CONTAINER_RUNNING) {
      throw criPrecondition(`container ${req.containerId} is not running`);
    }
    return ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 });
  }

  async exec(): Promise<cri.ExecResponse> {
    throw (unimplemented('exec'));
  }

  async attach(): Promise<cri.AttachResponse> {
    throw (unimplemented('attach'));
  }

  async portForward(): Promise<cri.PortForwardResponse> {
    throw (unimplemented('port-forward'));
  }

  async containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse> {
    return ({ stats: this.statsOf(this.container(req.containerId)) });
  }

  async listContainerStats(req: cri.ListContainerStatsRequest): Promise<cri.ListContainerStatsResponse> {
    const stats = [...this.containers.values()]
      .filter((c) => statsMatch(req.filter, { ...c.status, podSandboxId: c.podSandboxId }))
      .map((c) => this.statsOf(c));
    return ({ stats });
  }

  private statsOf(c: ContainerRecord): cri.ContainerStats {
    const timestamp = this.nowNs();
    return {
      attributes: { id: c.status.id, metadata: c.status.metadata, labels: c.status.labels, annotations: c.status.annotations },
      cpu: { timestamp, usageCoreNanoSeconds: { value: 0n } },
      memory: { timestamp, workingSetBytes: { value: 0n } },
    };
  }

  async listImages(): Promise<cri.ListImagesResponse> {
    return ({ images: [] });
  }

  /** Every image is present: a hollow node never pulls. */
  async imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    const ref = req.image?.image ?? '';
    return ({
      image: { id: ref, repoTags: [ref], repoDigests: [], size: 0n, username: '', pinned: false },
      info: {},
    });
  }

  async pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    return ({ imageRef: req.image?.image ?? '' });
  }

  async removeImage(): Promise<cri.RemoveImageResponse> {
    return ({});
  }

  async imageFsInfo(): Promise<cri.ImageFsInfoResponse> {
    return ({ imageFilesystems: [], containerFilesystems: [] });
  }

  private sandbox(id: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (s === undefined) throw criNotFound('sandbox', id);
    return s;
  }

  private container(id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (c === undefined) throw criNotFound('container', id);
    return c;
  }
}

function unimplemented(what: string): CriError {
  return new CriError(code.UNIMPLEMENTED, `${what} is not supported by the simulated runtime of hollow nodes`);
}

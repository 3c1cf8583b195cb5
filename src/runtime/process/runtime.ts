/**
 * ProcessRuntime: the default CRI runtime, which needs no root. A pod sandbox is a loopback
 * address from the node's pod range (plus its identity and log directory); each container is a
 * process group on the host running a host binary. It is a simulation of containers, not
 * containers: no image filesystem, no isolation, no resource limits (UpdateContainerResources
 * is accepted and not enforced), the pod sees the host's network (apps must bind the pod IP the
 * kubelet passes them to share port numbers across pods), run_as_user is ignored (containers
 * run as the runtime's user), and dns_config is not applied (there is no per-pod resolv.conf:
 * processes use the host's resolver, so cluster DNS names resolve only through it).
 *
 * State lives in records under stateDir (state-store.ts), so a restarted runtime finds its pods:
 * containers whose process still runs are adopted (their output keeps flowing into the log);
 * one that ended while no runtime watched is EXITED with exit code 255 and reason "Unknown",
 * because its exit status went to whichever process reaped it.
 */
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../../base/clock.js';
import { newUid, systemWallMs } from '../../base/wall-clock.js';
import * as cri from '../../kubelet/cri/types.js';
import {
  CriCode, CriError, criInvalid, criNotFound, criPrecondition,
} from '../../kubelet/cri/errors.js';
import { LogSpares } from '../logs/spares.js';
import type { ContainerProcess } from './container-process.js';
import { buildContainerRecord } from './container-spec.js';
import { execSyncCollect } from './exec.js';
import { ProcessImageStore } from './images.js';
import { IpAllocator, parseLoopbackCidr } from './ip-allocator.js';
import { ScratchRoots } from './scratch-roots.js';
import { ContainerSupervisor } from './supervisor.js';
import {
  StateStore, type ContainerRecord, type PortRecord, type SandboxRecord,
} from './state-store.js';
import * as convert from './cri-convert.js';

/** The streaming server's half of Exec/Attach/PortForward: it hands out the URLs. */
export interface StreamingUrls {
  getExec(req: cri.ExecRequest): cri.ExecResponse;
  getAttach(req: cri.AttachRequest): cri.AttachResponse;
  getPortForward(req: cri.PortForwardRequest): cri.PortForwardResponse;
}

/** How a ProcessRuntime is set up. */
export interface ProcessRuntimeOptions {
  /** Where records, pipes and scratch roots live; a restarted runtime reads it back. */
  stateDir: string;
  /** The node's pod range inside 127.0.0.0/8, e.g. 127.2.1.0/24. */
  podCidr: string;
  clock: Clock;
  wallMs?: () => number;
  /** When the container spawner's helper starts (supervisor.ts; default 5 s, 0: at once). */
  spawnerDelayMs?: number;
}

/** The runtime's name in VersionResponse. */
export const PROCESS_RUNTIME_NAME = 'k8ts-process';
/** The runtime's version in VersionResponse. */
export const PROCESS_RUNTIME_VERSION = '0.1.0';

/** ProcessRuntime — see the file comment. Create with ProcessRuntime.open(). */
export class ProcessRuntime implements cri.CriRuntime {
  private readonly store: StateStore;
  private readonly images: ProcessImageStore;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly supervisor: ContainerSupervisor;
  private readonly roots: ScratchRoots;
  /** Log directories and files recycled from deleted pods (the kubelet puts them back). */
  readonly logSpares = new LogSpares();
  /** Containers being started (StartContainer twice at once must not spawn twice). */
  private readonly busy = new Set<string>();
  private allocator: IpAllocator;
  private readonly wallMs: () => number;
  private readonly clock: Clock;
  /** Set by the server once a streaming server runs (Exec/Attach/PortForward). */
  streaming: StreamingUrls | undefined;

  private constructor(readonly opts: ProcessRuntimeOptions) {
    this.clock = opts.clock;
    this.wallMs = opts.wallMs ?? systemWallMs;
    this.store = new StateStore(opts.stateDir);
    this.images = new ProcessImageStore(opts.stateDir);
    this.allocator = new IpAllocator(parseLoopbackCidr(opts.podCidr));
    this.roots = new ScratchRoots(opts.stateDir);
    this.supervisor = new ContainerSupervisor({
      stateDir: opts.stateDir, store: this.store, clock: this.clock, wallMs: this.wallMs,
      roots: this.roots, logSpares: this.logSpares,
      sandboxIp: (id) => this.sandboxes.get(id)?.ip || 'the node',
      ...(opts.spawnerDelayMs !== undefined ? { spawnerDelayMs: opts.spawnerDelayMs } : {}),
    });
  }

  private get containers(): Map<string, ContainerRecord> {
    return this.supervisor.records;
  }

  /** open loads the state directory and re-adopts the containers that still run. */
  static async open(opts: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const runtime = new ProcessRuntime(opts);
    await runtime.recover();
    return runtime;
  }

  /** close lets go of every container without stopping it (a later runtime adopts them). */
  async close(): Promise<void> {
    this.logSpares.close();
    await this.logSpares.settled();
    await this.supervisor.close();
    await this.store.close();
  }

  // ---- identity ----

  /** Names this runtime (k8ts-process) and CRI v1. */
  async version(_req: cri.VersionRequest): Promise<cri.VersionResponse> {
    return {
      version: '0.1.0', runtimeName: PROCESS_RUNTIME_NAME,
      runtimeVersion: PROCESS_RUNTIME_VERSION, runtimeApiVersion: 'v1',
    };
  }

  /** Always ready: the runtime needs nothing but itself, and pods use the host network. */
  async status(_req: cri.StatusRequest): Promise<cri.StatusResponse> {
    const ready = (type: string): cri.RuntimeCondition =>
      ({ type, status: true, reason: '', message: '' });
    return {
      status: { conditions: [ready('RuntimeReady'), ready('NetworkReady')] },
      info: { podCidr: this.opts.podCidr, mode: 'process (no isolation, host network)' },
    };
  }

  // ---- sandboxes ----

  /** Allocates the pod's loopback address; a sandbox runs no process of its own. */
  async runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    const config = req.config;
    if (config?.metadata === undefined) throw criInvalid('sandbox config must include metadata');
    const m = config.metadata;
    // Directories are made off the event loop (on a busy disk each costs ms of inode
    // allocation, which would hold up every other pod's calls), before the name is reserved,
    // so the check and the reservation below happen in one turn.
    if (config.logDirectory !== '') await this.logSpares.makePodDir(config.logDirectory);
    const taken = [...this.sandboxes.values()].find((s) => s.metadata.uid === m.uid &&
      s.metadata.name === m.name && s.metadata.namespace === m.namespace &&
      s.metadata.attempt === m.attempt);
    if (taken !== undefined) {
      throw criPrecondition(`failed to reserve sandbox name "${m.name}_${m.namespace}_${m.uid}_` +
        `${m.attempt}": name is reserved for "${taken.id}"`);
    }
    // A hostNetwork pod gets no address of its own: the kubelet reports the node's IP for it.
    const hostNetwork =
      config.linux?.securityContext?.namespaceOptions?.network === cri.NamespaceMode.NODE;
    const ip = hostNetwork ? '' : this.allocator.allocate();
    if (ip === undefined) {
      throw new CriError(CriCode.RESOURCE_EXHAUSTED,
        'failed to setup network for sandbox: no free address left in pod range ' +
        this.opts.podCidr);
    }
    const record: SandboxRecord = {
      id: newId(), metadata: { ...m }, hostname: config.hostname || m.name,
      logDirectory: config.logDirectory, ip, ready: true, createdAtMs: this.wallMs(),
      labels: config.labels, annotations: config.annotations, runtimeHandler: req.runtimeHandler,
      ports: config.portMappings.map((p): PortRecord => ({
        protocol: protocolName(p.protocol), containerPort: p.containerPort,
      })),
    };
    this.sandboxes.set(record.id, record);
    await this.store.saveSandbox(record);
    return { podSandboxId: record.id };
  }

  /** Kills the pod's containers (the kubelet stopped them gracefully before); keeps the
   *  address until removal. Unknown sandboxes succeed, as containerd's stop is repeatable. */
  async stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) return {};
    await Promise.all(this.containersOf(sandbox.id).map((c) => this.supervisor.stop(c, 0)));
    if (sandbox.ready) {
      sandbox.ready = false;
      await this.store.saveSandbox(sandbox);
    }
    return {};
  }

  /** Removes the containers, the record and frees the address; unknown ids succeed. */
  async removePodSandbox(req: cri.RemovePodSandboxRequest): Promise<cri.RemovePodSandboxResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) return {};
    await Promise.all(this.containersOf(sandbox.id).map((c) => this.supervisor.remove(c)));
    this.sandboxes.delete(sandbox.id);
    await this.store.deleteSandbox(sandbox.id);
    this.allocator.release(sandbox.ip);
    return {};
  }

  /** The sandbox with its pod IP; NOT_FOUND for an unknown id. */
  async podSandboxStatus(req: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) throw criNotFound('sandbox', req.podSandboxId);
    return {
      status: convert.toPodSandboxStatus(sandbox), info: {}, containersStatuses: [],
      timestamp: convert.nanosOf(this.wallMs()),
    };
  }

  /** Sandboxes matching the filter. */
  async listPodSandbox(req: cri.ListPodSandboxRequest): Promise<cri.ListPodSandboxResponse> {
    const items = [...this.sandboxes.values()].filter((s) => convert.matchSandbox(s, req.filter));
    return { items: items.map(convert.toPodSandbox) };
  }

  // ---- containers ----

  /** Records what the container will run (container-spec.ts) and makes its scratch root. */
  async createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
    // The image first: the checks and the reservation below then happen in one turn.
    const imageRef = req.config?.image?.image ?? '';
    const image = imageRef === '' ? undefined : await this.images.resolve(imageRef);
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) throw criNotFound('sandbox', req.podSandboxId);
    if (!sandbox.ready) throw criPrecondition(`sandbox "${sandbox.id}" is not ready`);
    const meta = req.config?.metadata;
    const dup = meta && this.containersOf(sandbox.id).find((c) =>
      c.metadata.name === meta.name && c.metadata.attempt === meta.attempt);
    if (dup !== undefined) {
      throw criPrecondition(`failed to reserve container name "${meta?.name}_${meta?.attempt}" ` +
        `in sandbox "${sandbox.id}": name is reserved for "${dup.id}"`);
    }
    const id = newId();
    const scratchRoot = this.roots.path(id);
    const record = buildContainerRecord({
      id, req, sandbox, scratchRoot, nowMs: this.wallMs(), image,
    });
    // The name is reserved before the scratch root is made off the event loop (see
    // runPodSandbox): nobody knows the id yet, so nothing can start the container meanwhile.
    this.containers.set(id, record);
    try {
      await this.roots.make(id, record.mounts);
    } catch (err) {
      this.containers.delete(id);
      throw err;
    }
    await this.store.saveContainer(record);
    return { containerId: id };
  }

  /** Runs the checks and spawns the process group (supervisor.ts). */
  async startContainer(req: cri.StartContainerRequest): Promise<cri.StartContainerResponse> {
    const record = this.mustContainer(req.containerId);
    if (record.phase !== 'created' || this.busy.has(record.id)) {
      throw criPrecondition(`container "${record.id}" is in ${convert.containerState(record) ===
        cri.ContainerState.CONTAINER_RUNNING ? 'running' : record.phase} state, not created`);
    }
    const sandbox = this.sandboxes.get(record.sandboxId);
    if (sandbox === undefined || !sandbox.ready) {
      throw criPrecondition(
        `sandbox "${record.sandboxId}" of container "${record.id}" is not ready`);
    }
    // The kubelet declares every port of the pod on the sandbox: while a sibling runs, its own
    // listener would look like a clash, so the probe runs only for the pod's first container.
    const siblingsRun = this.containersOf(sandbox.id)
      .some((c) => c.id !== record.id && c.phase === 'running');
    this.busy.add(record.id);
    try {
      await this.supervisor.start(record, sandbox, !siblingsRun);
    } finally {
      this.busy.delete(record.id);
    }
    return {};
  }

  /** SIGTERM to the group, SIGKILL after `timeout` seconds; waits for the end. */
  async stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse> {
    const record = this.mustContainer(req.containerId);
    await this.supervisor.stop(record, Number(req.timeout) * 1000);
    return {};
  }

  /** Kills a running container and forgets it; unknown ids succeed. */
  async removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse> {
    const record = this.containers.get(req.containerId);
    if (record !== undefined) await this.supervisor.remove(record);
    return {};
  }

  /** Containers matching the filter. */
  async listContainers(req: cri.ListContainersRequest): Promise<cri.ListContainersResponse> {
    const found = [...this.containers.values()]
      .filter((c) => convert.matchContainer(c, req.filter));
    return { containers: found.map(convert.toContainer) };
  }

  /** The container's state, exit code and reason; verbose adds pid, argv and cwd. */
  async containerStatus(req: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse> {
    const record = this.mustContainer(req.containerId);
    // verbose: containerd's "info" JSON, with what debugging a process container needs.
    const info: Record<string, string> = req.verbose
      ? { info: JSON.stringify({ pid: record.pid, argv: record.argv, cwd: record.cwd }) } : {};
    return { status: convert.toContainerStatus(record), info };
  }

  async updateContainerResources(
    req: cri.UpdateContainerResourcesRequest,
  ): Promise<cri.UpdateContainerResourcesResponse> {
    this.mustContainer(req.containerId); // accepted, not enforced: no cgroups without root
    return {};
  }

  async reopenContainerLog(
    req: cri.ReopenContainerLogRequest,
  ): Promise<cri.ReopenContainerLogResponse> {
    const record = this.mustContainer(req.containerId);
    const proc = this.supervisor.proc(record.id);
    if (record.phase !== 'running' || proc === undefined) {
      throw criPrecondition(`container "${record.id}" is not running`);
    }
    await proc.reopenLog();
    return {};
  }

  // ---- exec, attach, port-forward ----

  /** Runs cmd beside the container (same env and cwd) to completion, for exec probes. */
  async execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    const record = this.mustRunning(req.containerId);
    const child = this.supervisor.startTrackedExec(record, req.cmd, false);
    const outcome = await execSyncCollect(child, Number(req.timeout) * 1000, this.clock);
    if (outcome.kind === 'timeout') {
      throw new CriError(CriCode.DEADLINE_EXCEEDED,
        `failed to exec in container: timeout ${req.timeout}s exceeded: context deadline exceeded`);
    }
    return { stdout: outcome.stdout, stderr: outcome.stderr, exitCode: outcome.exitCode };
  }

  /** Validates and hands out a streaming URL (the streaming server runs the exec). */
  async exec(req: cri.ExecRequest): Promise<cri.ExecResponse> {
    this.mustRunning(req.containerId);
    if (req.cmd.length === 0) throw criInvalid('cmd out of range');
    if (!req.stdout && !req.stderr && !req.stdin) {
      throw criInvalid('one of stdin, stdout, or stderr must be set');
    }
    return this.mustStreaming().getExec(req);
  }

  /** Hands out a streaming URL for attaching to the main process. */
  async attach(req: cri.AttachRequest): Promise<cri.AttachResponse> {
    this.mustRunning(req.containerId);
    return this.mustStreaming().getAttach(req);
  }

  /** Hands out a streaming URL for connections to the pod's address. */
  async portForward(req: cri.PortForwardRequest): Promise<cri.PortForwardResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) throw criNotFound('sandbox', req.podSandboxId);
    return this.mustStreaming().getPortForward(req);
  }

  // ---- stats ----

  /** CPU and memory of the container's process group, from /proc. */
  async containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse> {
    const record = this.mustContainer(req.containerId);
    const [stats] = this.supervisor.stats([record]);
    return { stats };
  }

  /** Stats of the containers matching the filter, in one scan of /proc. */
  async listContainerStats(
    req: cri.ListContainerStatsRequest,
  ): Promise<cri.ListContainerStatsResponse> {
    const found = [...this.containers.values()].filter((c) => convert.matchStats(c, req.filter));
    return { stats: this.supervisor.stats(found) };
  }

  // ---- images ----

  /** The images pulled on this node (images.ts). */
  async listImages(req: cri.ListImagesRequest): Promise<cri.ListImagesResponse> {
    return { images: this.images.list(req.filter?.image?.image).map(toCriImage) };
  }

  /** The image if pulled; unset (not an error) otherwise. */
  async imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    const found = this.images.find(req.image?.image ?? '');
    return { image: found === undefined ? undefined : toCriImage(found), info: {} };
  }

  /** Resolves the image through the catalogue; nginx and missing host binaries fail. */
  async pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    return { imageRef: (await this.images.pull(req.image?.image ?? '')).id };
  }

  /** Forgets a pulled image; a missing one succeeds. */
  async removeImage(req: cri.RemoveImageRequest): Promise<cri.RemoveImageResponse> {
    this.images.remove(req.image?.image ?? '');
    return {};
  }

  /** The state directory's filesystem; images take no space of their own here. */
  async imageFsInfo(_req: cri.ImageFsInfoRequest): Promise<cri.ImageFsInfoResponse> {
    const usage = cri.FilesystemUsage.fromPartial({
      timestamp: convert.nanosOf(this.wallMs()), fsId: { mountpoint: this.opts.stateDir },
      usedBytes: { value: 0n }, inodesUsed: { value: 0n },
    });
    return { imageFilesystems: [usage], containerFilesystems: [usage] };
  }

  // ---- for the streaming half (streaming.ts) ----

  /** runningContainer returns a running container's record and process, or throws NOT_FOUND /
   *  FAILED_PRECONDITION as the CRI calls do. */
  runningContainer(id: string): { record: ContainerRecord; proc: ContainerProcess | undefined } {
    const record = this.mustRunning(id);
    return { record, proc: this.supervisor.proc(id) };
  }

  /** sandboxIp returns the address port-forward connects to: the pod IP, or 127.0.0.1 for a
   *  hostNetwork pod (as a runtime entering the host's network would dial localhost). */
  sandboxIp(id: string): string {
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) throw criNotFound('sandbox', id);
    return sandbox.ip || '127.0.0.1';
  }

  /** startTrackedExec starts an exec that dies with its container. */
  startTrackedExec(record: ContainerRecord, cmd: readonly string[], tty: boolean): ChildProcess {
    return this.supervisor.startTrackedExec(record, cmd, tty);
  }

  // ---- internals ----

  private async recover(): Promise<void> {
    const sandboxes = this.store.loadSandboxes();
    for (const s of sandboxes) this.sandboxes.set(s.id, s);
    // The round-robin continues after the newest live pod's address.
    const newest = sandboxes.reduce<SandboxRecord | undefined>(
      (a, s) => (a === undefined || s.createdAtMs > a.createdAtMs ? s : a), undefined);
    this.allocator = new IpAllocator(
      parseLoopbackCidr(this.opts.podCidr), sandboxes.map((s) => s.ip), newest?.ip,
    );
    await this.supervisor.recover();
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  private mustContainer(id: string): ContainerRecord {
    const record = this.containers.get(id);
    if (record === undefined) throw criNotFound('container', id);
    return record;
  }

  private mustRunning(id: string): ContainerRecord {
    const record = this.mustContainer(id);
    if (record.phase !== 'running') throw criPrecondition(`container "${id}" is not running`);
    return record;
  }

  private mustStreaming(): StreamingUrls {
    if (this.streaming === undefined) {
      throw new CriError(CriCode.UNIMPLEMENTED, 'the process runtime has no streaming server yet');
    }
    return this.streaming;
  }
}

/** newId returns a 64-hex-digit id, the shape containerd's ids have. */
function newId(): string {
  return createHash('sha256').update(newUid()).digest('hex');
}

function protocolName(p: cri.Protocol): PortRecord['protocol'] {
  if (p === cri.Protocol.UDP) return 'UDP';
  return p === cri.Protocol.SCTP ? 'SCTP' : 'TCP';
}

function toCriImage(image: { id: string; ref: string; sizeBytes: number }): cri.Image {
  return cri.Image.fromPartial({
    id: image.id, repoTags: [image.ref], repoDigests: [], size: BigInt(image.sizeBytes),
    username: '', spec: { image: image.ref }, pinned: false,
  });
}

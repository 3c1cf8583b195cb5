/**
 * ProcessRuntime: the default CRI runtime, which needs no root. A pod sandbox is a loopback
 * address from the node's pod range (plus its identity and log directory); each container is a
 * process group on the host running a host binary. It is a simulation of containers, not
 * containers: no image filesystem, no isolation, no resource limits (UpdateContainerResources
 * is accepted and not enforced), the pod sees the host's network (apps must bind the pod IP the
 * kubelet passes them to share port numbers across pods), and run_as_user is ignored.
 *
 * State lives in records under stateDir (state-store.ts), so a restarted runtime finds its pods:
 * containers whose process still runs are adopted (their output keeps flowing into the log);
 * one that ended while no runtime watched is EXITED with exit code 255 and reason "Unknown",
 * because its exit status went to whichever process reaped it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../../base/clock.js';
import { newUid, systemWallMs } from '../../base/wall-clock.js';
import * as cri from '../../kubelet/cri/types.js';
import {
  CriCode, CriError, criInvalid, criNotFound, criPrecondition,
} from '../../kubelet/cri/errors.js';
import {
  ContainerProcess, UNKNOWN_EXIT_CODE, type ExitInfo, type ProcessDeps, type ProcessSpec,
} from './container-process.js';
import { buildContainerRecord, scratchLinks } from './container-spec.js';
import { FifoPool } from './fifo-pool.js';
import { execSyncCollect, ExecStartError, killTree, startExec } from './exec.js';
import { ProcessImageStore } from './images.js';
import { IpAllocator, parseLoopbackCidr } from './ip-allocator.js';
import { portClashFromOutput } from './ports.js';
import { isSameProcess, readGroupUsage } from './proc-stats.js';
import { checkStart } from './start-checks.js';
import { fifoPaths, removeFifos } from './stdio-fifos.js';
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
}

/** The runtime's name and version in VersionResponse. */
export const PROCESS_RUNTIME_NAME = 'k8ts-process';
export const PROCESS_RUNTIME_VERSION = '0.1.0';

/** A non-zero exit this soon after start is checked for a port clash in the output. */
const EARLY_EXIT_MS = 2000;
/** How long StopContainer waits past SIGKILL before it gives up on a process. */
const KILL_WAIT_MS = 10_000;

/** ProcessRuntime — see the file comment. Create with ProcessRuntime.open(). */
export class ProcessRuntime implements cri.CriRuntime {
  private readonly store: StateStore;
  private readonly images: ProcessImageStore;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly procs = new Map<string, ContainerProcess>();
  private readonly execs = new Map<string, Set<ChildProcess>>();
  private readonly busy = new Set<string>();
  private allocator: IpAllocator;
  private readonly wallMs: () => number;
  private readonly clock: Clock;
  private readonly fifos: FifoPool;
  /** Set by the server once a streaming server runs (Exec/Attach/PortForward). */
  streaming: StreamingUrls | undefined;

  private constructor(readonly opts: ProcessRuntimeOptions) {
    this.clock = opts.clock;
    this.wallMs = opts.wallMs ?? systemWallMs;
    this.store = new StateStore(opts.stateDir);
    this.images = new ProcessImageStore(opts.stateDir);
    this.allocator = new IpAllocator(parseLoopbackCidr(opts.podCidr));
    this.fifos = new FifoPool(join(opts.stateDir, 'fifo-pool'));
  }

  /** open loads the state directory and re-adopts the containers that still run. */
  static async open(opts: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const runtime = new ProcessRuntime(opts);
    await runtime.recover();
    return runtime;
  }

  /** close lets go of every container without stopping it (a later runtime adopts them). */
  async close(): Promise<void> {
    const procs = [...this.procs.values()];
    this.procs.clear();
    await Promise.all(procs.map((p) => p.detach()));
  }

  // ---- identity ----

  async version(_req: cri.VersionRequest): Promise<cri.VersionResponse> {
    return {
      version: '0.1.0', runtimeName: PROCESS_RUNTIME_NAME,
      runtimeVersion: PROCESS_RUNTIME_VERSION, runtimeApiVersion: 'v1',
    };
  }

  async status(_req: cri.StatusRequest): Promise<cri.StatusResponse> {
    const ready = (type: string): cri.RuntimeCondition =>
      ({ type, status: true, reason: '', message: '' });
    return {
      status: { conditions: [ready('RuntimeReady'), ready('NetworkReady')] },
      info: { podCidr: this.opts.podCidr, mode: 'process (no isolation, host network)' },
    };
  }

  // ---- sandboxes ----

  async runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    const config = req.config;
    if (config?.metadata === undefined) throw criInvalid('sandbox config must include metadata');
    const m = config.metadata;
    const taken = [...this.sandboxes.values()].find((s) => s.metadata.uid === m.uid &&
      s.metadata.name === m.name && s.metadata.namespace === m.namespace &&
      s.metadata.attempt === m.attempt);
    if (taken !== undefined) {
      throw criPrecondition(`failed to reserve sandbox name "${m.name}_${m.namespace}_${m.uid}_` +
        `${m.attempt}": name is reserved for "${taken.id}"`);
    }
    const ip = this.allocator.allocate();
    if (ip === undefined) {
      throw new CriError(CriCode.RESOURCE_EXHAUSTED,
        'failed to setup network for sandbox: no free address left in pod range ' +
        this.opts.podCidr);
    }
    if (config.logDirectory !== '') mkdirSync(config.logDirectory, { recursive: true });
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

  async stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) return {};
    await Promise.all(this.containersOf(sandbox.id).map((c) => this.stopRecord(c, 0)));
    if (sandbox.ready) {
      sandbox.ready = false;
      await this.store.saveSandbox(sandbox);
    }
    return {};
  }

  async removePodSandbox(req: cri.RemovePodSandboxRequest): Promise<cri.RemovePodSandboxResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) return {};
    await Promise.all(this.containersOf(sandbox.id).map((c) => this.removeRecord(c)));
    this.sandboxes.delete(sandbox.id);
    await this.store.deleteSandbox(sandbox.id);
    this.allocator.release(sandbox.ip);
    return {};
  }

  async podSandboxStatus(req: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) throw criNotFound('sandbox', req.podSandboxId);
    return {
      status: convert.toPodSandboxStatus(sandbox), info: {}, containersStatuses: [],
      timestamp: convert.nanosOf(this.wallMs()),
    };
  }

  async listPodSandbox(req: cri.ListPodSandboxRequest): Promise<cri.ListPodSandboxResponse> {
    const items = [...this.sandboxes.values()].filter((s) => convert.matchSandbox(s, req.filter));
    return { items: items.map(convert.toPodSandbox) };
  }

  // ---- containers ----

  async createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
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
    const scratchRoot = join(this.opts.stateDir, 'roots', id);
    const imageRef = req.config?.image?.image ?? '';
    const record = buildContainerRecord({
      id, req, sandbox, scratchRoot, nowMs: this.wallMs(),
      image: imageRef === '' ? undefined : this.images.resolve(imageRef),
    });
    mkdirSync(scratchRoot, { recursive: true });
    for (const [link, target] of scratchLinks(scratchRoot, record.mounts)) {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(target, link);
    }
    this.containers.set(id, record);
    await this.store.saveContainer(record);
    return { containerId: id };
  }

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
    this.busy.add(record.id);
    try {
      await this.spawnRecord(record, sandbox);
    } finally {
      this.busy.delete(record.id);
    }
    return {};
  }

  async stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse> {
    const record = this.mustContainer(req.containerId);
    await this.stopRecord(record, Number(req.timeout) * 1000);
    return {};
  }

  async removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse> {
    const record = this.containers.get(req.containerId);
    if (record !== undefined) await this.removeRecord(record);
    return {};
  }

  async listContainers(req: cri.ListContainersRequest): Promise<cri.ListContainersResponse> {
    const found = [...this.containers.values()]
      .filter((c) => convert.matchContainer(c, req.filter));
    return { containers: found.map(convert.toContainer) };
  }

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
    const proc = this.procs.get(record.id);
    if (record.phase !== 'running' || proc === undefined) {
      throw criPrecondition(`container "${record.id}" is not running`);
    }
    await proc.reopenLog();
    return {};
  }

  // ---- exec, attach, port-forward ----

  async execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    const record = this.mustRunning(req.containerId);
    const child = this.startTrackedExec(record, req.cmd, false);
    const outcome = await execSyncCollect(child, Number(req.timeout) * 1000, this.clock);
    if (outcome.kind === 'timeout') {
      throw new CriError(CriCode.DEADLINE_EXCEEDED,
        `failed to exec in container: timeout ${req.timeout}s exceeded: context deadline exceeded`);
    }
    return { stdout: outcome.stdout, stderr: outcome.stderr, exitCode: outcome.exitCode };
  }

  async exec(req: cri.ExecRequest): Promise<cri.ExecResponse> {
    this.mustRunning(req.containerId);
    if (req.cmd.length === 0) throw criInvalid('cmd out of range');
    if (!req.stdout && !req.stderr && !req.stdin) {
      throw criInvalid('one of stdin, stdout, or stderr must be set');
    }
    return this.mustStreaming().getExec(req);
  }

  async attach(req: cri.AttachRequest): Promise<cri.AttachResponse> {
    this.mustRunning(req.containerId);
    return this.mustStreaming().getAttach(req);
  }

  async portForward(req: cri.PortForwardRequest): Promise<cri.PortForwardResponse> {
    const sandbox = this.sandboxes.get(req.podSandboxId);
    if (sandbox === undefined) throw criNotFound('sandbox', req.podSandboxId);
    return this.mustStreaming().getPortForward(req);
  }

  // ---- stats ----

  async containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse> {
    const record = this.mustContainer(req.containerId);
    const [stats] = this.statsOf([record]);
    return { stats };
  }

  async listContainerStats(
    req: cri.ListContainerStatsRequest,
  ): Promise<cri.ListContainerStatsResponse> {
    const found = [...this.containers.values()].filter((c) => convert.matchStats(c, req.filter));
    return { stats: this.statsOf(found) };
  }

  // ---- images ----

  async listImages(req: cri.ListImagesRequest): Promise<cri.ListImagesResponse> {
    return { images: this.images.list(req.filter?.image?.image).map(toCriImage) };
  }

  async imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    const found = this.images.find(req.image?.image ?? '');
    return { image: found === undefined ? undefined : toCriImage(found), info: {} };
  }

  async pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    return { imageRef: this.images.pull(req.image?.image ?? '').id };
  }

  async removeImage(req: cri.RemoveImageRequest): Promise<cri.RemoveImageResponse> {
    this.images.remove(req.image?.image ?? '');
    return {};
  }

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
    return { record, proc: this.procs.get(id) };
  }

  /** sandboxIp returns a sandbox's pod IP (port-forward's target). */
  sandboxIp(id: string): string {
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) throw criNotFound('sandbox', id);
    return sandbox.ip;
  }

  /** startTrackedExec starts an exec that dies with its container. */
  startTrackedExec(record: ContainerRecord, cmd: readonly string[], tty: boolean): ChildProcess {
    if (cmd.length === 0) throw criInvalid('cmd out of range');
    let child: ChildProcess;
    try {
      child = startExec(record, cmd, tty);
    } catch (err) {
      if (err instanceof ExecStartError) throw new CriError(CriCode.UNKNOWN, err.message);
      throw err;
    }
    const set = this.execs.get(record.id) ?? new Set();
    set.add(child);
    this.execs.set(record.id, set);
    child.once('close', () => set.delete(child));
    child.once('error', () => set.delete(child));
    return child;
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
    for (const c of this.store.loadContainers()) {
      this.containers.set(c.id, c);
      if (c.phase !== 'running') continue;
      if (c.pid > 0 && isSameProcess(c.pid, c.pidStartTicks)) {
        try {
          const spec = this.specOf(c, c.argv);
          const proc = await ContainerProcess.adopt(spec, this.deps(), c.pid, c.pidStartTicks);
          this.track(c, proc);
          continue;
        } catch {
          killGroup(c.pid); // it runs but its pipes are gone: nobody could see it; end it
        }
      }
      const exit = {
        exitCode: UNKNOWN_EXIT_CODE, signal: undefined, finishedAtMs: this.wallMs(), unknown: true,
      };
      this.recordExit(c, exit, '');
    }
  }

  private async spawnRecord(record: ContainerRecord, sandbox: SandboxRecord): Promise<void> {
    const siblingsRun = this.containersOf(sandbox.id)
      .some((c) => c.id !== record.id && c.phase === 'running');
    const plan = await checkStart(record, sandbox, !siblingsRun);
    let proc: ContainerProcess | undefined;
    let failure = 'error' in plan ? plan.error : undefined;
    if ('argv' in plan) {
      try {
        proc = await ContainerProcess.spawn(this.specOf(record, plan.argv), this.deps());
      } catch (err) {
        failure = `failed to start container process: ${(err as Error).message}`;
      }
    }
    if (proc === undefined) {
      Object.assign(record, {
        phase: 'exited', exitCode: 128, reason: 'StartError', message: failure ?? 'start failed',
        finishedAtMs: this.wallMs(), startedAtMs: 0, pid: 0,
      });
      await this.store.saveContainer(record);
      throw new CriError(CriCode.UNKNOWN, failure ?? 'start failed');
    }
    Object.assign(record, {
      phase: 'running', startedAtMs: this.wallMs(), pid: proc.pid, pidStartTicks: proc.startTicks,
    });
    this.track(record, proc);
    await this.store.saveContainer(record);
  }

  private track(record: ContainerRecord, proc: ContainerProcess): void {
    this.procs.set(record.id, proc);
    void proc.exited.then((exit) => {
      if (this.procs.get(record.id) !== proc) return; // removed or detached meanwhile
      this.procs.delete(record.id);
      for (const child of this.execs.get(record.id) ?? []) killTree(child);
      this.recordExit(record, exit, proc.recentOutput());
    });
  }

  private recordExit(record: ContainerRecord, exit: ExitInfo, output: string): void {
    record.phase = 'exited';
    record.exitCode = exit.exitCode;
    record.finishedAtMs = exit.finishedAtMs;
    record.pid = 0;
    if (exit.unknown) {
      record.reason = 'Unknown';
      record.message = 'the container exited while the process runtime was not running; ' +
        'its exit code is unknown';
    } else if (exit.exitCode !== 0 && exit.finishedAtMs - record.startedAtMs < EARLY_EXIT_MS) {
      const ip = this.sandboxes.get(record.sandboxId)?.ip ?? '';
      record.message = portClashFromOutput(output, ip) ?? record.message;
    }
    // Not awaited (an exit has no caller to answer); a failed write leaves the record RUNNING on
    // disk, which a restarted runtime corrects to an unknown exit.
    if (!this.containers.has(record.id)) return;
    void this.store.saveContainer(record).catch(() => undefined);
  }

  private async stopRecord(record: ContainerRecord, graceMs: number): Promise<void> {
    const proc = this.procs.get(record.id);
    if (record.phase !== 'running' || proc === undefined) return;
    let timer: { cancel(): void } | undefined;
    const giveUp = new Promise<'late'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('late'), Math.max(0, graceMs) + KILL_WAIT_MS);
    });
    const outcome = await Promise.race([proc.stop(Math.max(0, graceMs)), giveUp]);
    timer?.cancel();
    if (outcome === 'late') {
      throw new CriError(CriCode.DEADLINE_EXCEEDED,
        `container "${record.id}" did not exit ${KILL_WAIT_MS} ms after SIGKILL`);
    }
    // The exit is recorded by track()'s handler, which ran before stop() resolved here.
  }

  private async removeRecord(record: ContainerRecord): Promise<void> {
    await this.stopRecord(record, 0);
    this.containers.delete(record.id);
    this.procs.delete(record.id);
    await this.store.deleteContainer(record.id);
    removeFifos(fifoPaths(join(this.opts.stateDir, 'io'), record.id, record.tty, record.stdin));
    rmSync(join(this.opts.stateDir, 'roots', record.id), { recursive: true, force: true });
  }

  private statsOf(records: ContainerRecord[]): cri.ContainerStats[] {
    const running = records.filter((c) => c.phase === 'running' && c.pid > 0);
    const groups = new Set(running.map((c) => c.pid));
    const usage = readGroupUsage(groups);
    const now = this.wallMs();
    return records.map((c) =>
      convert.toContainerStats(c, c.phase === 'running' ? usage.get(c.pid) : undefined, now));
  }

  private specOf(record: ContainerRecord, argv: string[]): ProcessSpec {
    return {
      id: record.id, argv, env: Object.fromEntries(record.env.map((e) => [e.key, e.value])),
      cwd: record.cwd, stdin: record.stdin, tty: record.tty, logPath: record.logPath,
      fifos: fifoPaths(join(this.opts.stateDir, 'io'), record.id, record.tty, record.stdin),
    };
  }

  private deps(): ProcessDeps {
    return { clock: this.clock, wallMs: this.wallMs, fifos: this.fifos };
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

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
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

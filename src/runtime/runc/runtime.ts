/**
 * RuncRuntime: the in-house root-mode CRI runtime (runc + conmon + netns/veth/bridge + overlay).
 * It implements CriRuntime for src/runtime/cri-server.ts and StreamingRuntime for the streaming
 * server; each method validates, then delegates to the operation files (sandboxes, containers,
 * exec, attach-forward, stats, images) over one shared RuncContext.
 */
import { statfs } from 'node:fs/promises';
import * as cri from '../../kubelet/cri/types.js';
import { containerMatches, sandboxMatches, statsMatch } from '../cri-filters.js';
import type { StreamingRuntime } from '../streaming/types.js';
import { attach, portForward } from './attach-forward.js';
import { createContainer, getContainer, observeContainer, removeContainer, startContainer,
  stopContainer } from './containers.js';
import type { RuncContext } from './context.js';
import { toContainer, toContainerStatus, toImage, toPodSandbox, toPodSandboxStatus,
  resourcesView } from './cri-mapping.js';
import { execSync, runningContainer, streamExec } from './exec.js';
import { pullImage } from './images.js';
import { ociResources } from './oci-spec.js';
import { getSandbox, markSandboxStopped, removeSandboxFiles, runPodSandbox } from './sandboxes.js';
import { containerStats } from './stats.js';
import { linkExists } from '../host-network.js';
import { reopenLog } from './reopen-log.js';

/** The streaming server's URL side (src/runtime/streaming StreamingServer has these). */
export interface StreamingUrls {
  getExec(req: cri.ExecRequest): cri.ExecResponse;
  getAttach(req: cri.AttachRequest): cri.AttachResponse;
  getPortForward(req: cri.PortForwardRequest): cri.PortForwardResponse;
}

/** The runtime's name and version as Version reports them. */
export const RUNC_RUNTIME_NAME = 'k8ts-runc';
export const RUNC_RUNTIME_VERSION = '0.1.0';

/** RuncRuntime serves both CRI services and the streaming runtime seam. */
export class RuncRuntime implements cri.CriRuntime {
  /** Set once the streaming server is up; Exec/Attach/PortForward need it. */
  streaming: StreamingUrls | undefined;

  /** The seam the streaming server drives sessions through (a separate object because
   *  StreamingRuntime.exec and CRI's Exec share a name). */
  readonly streamingRuntime: StreamingRuntime;

  constructor(readonly ctx: RuncContext) {
    this.streamingRuntime = {
      exec: (id, cmd, io, signal) => streamExec(ctx, id, cmd, io, signal),
      attach: (id, io, signal) => attach(ctx, id, io, signal),
      portForward: (sandboxId, port, stream) => portForward(ctx, sandboxId, port, stream),
    };
  }

  async version(_req: cri.VersionRequest): Promise<cri.VersionResponse> {
    return { version: '0.1.0', runtimeName: RUNC_RUNTIME_NAME,
      runtimeVersion: RUNC_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  async status(_req: cri.StatusRequest): Promise<cri.StatusResponse> {
    const bridgeUp = await linkExists(this.ctx.bridge);
    return cri.StatusResponse.fromPartial({ status: { conditions: [
      { type: 'RuntimeReady', status: true },
      { type: 'NetworkReady', status: bridgeUp,
        reason: bridgeUp ? '' : 'BridgeMissing',
        message: bridgeUp ? '' : `bridge ${this.ctx.bridge} does not exist` },
    ] } });
  }

  async runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    return { podSandboxId: await runPodSandbox(this.ctx, req) };
  }

  async stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse> {
    const sandbox = this.ctx.sandboxes.get(req.podSandboxId);
    if (!sandbox) return {};
    for (const c of this.containersOf(sandbox.id)) await stopContainer(this.ctx, c.id, 0);
    await markSandboxStopped(this.ctx, sandbox);
    return {};
  }

  async removePodSandbox(req: cri.RemovePodSandboxRequest):
    Promise<cri.RemovePodSandboxResponse> {
    const sandbox = this.ctx.sandboxes.get(req.podSandboxId);
    if (!sandbox) return {};
    for (const c of this.containersOf(sandbox.id)) await removeContainer(this.ctx, c.id);
    await removeSandboxFiles(this.ctx, sandbox);
    return {};
  }

  async podSandboxStatus(req: cri.PodSandboxStatusRequest):
    Promise<cri.PodSandboxStatusResponse> {
    const sandbox = getSandbox(this.ctx, req.podSandboxId);
    return cri.PodSandboxStatusResponse.fromPartial({
      status: toPodSandboxStatus(sandbox),
      timestamp: BigInt(Math.round(this.ctx.wallMs())) * 1_000_000n,
    });
  }

  async listPodSandbox(req: cri.ListPodSandboxRequest): Promise<cri.ListPodSandboxResponse> {
    const items = [...this.ctx.sandboxes.values()].map(toPodSandbox)
      .filter((s) => sandboxMatches(req.filter, s));
    return { items };
  }

  async createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
    return { containerId: await createContainer(this.ctx, req) };
  }

  async startContainer(req: cri.StartContainerRequest): Promise<cri.StartContainerResponse> {
    await startContainer(this.ctx, req.containerId);
    return {};
  }

  async stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse> {
    await stopContainer(this.ctx, getContainer(this.ctx, req.containerId).id,
      Number(req.timeout));
    return {};
  }

  async removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse> {
    await removeContainer(this.ctx, req.containerId);
    return {};
  }

  async listContainers(req: cri.ListContainersRequest): Promise<cri.ListContainersResponse> {
    const out: cri.Container[] = [];
    // Only the state needs a container observed (conmon's exit file, its pid): filter by the
    // rest first, so a kubelet's per-pod list reads that pod's files, not the whole node's.
    const byRecord = req.filter === undefined ? undefined : { ...req.filter, state: undefined };
    for (const record of this.ctx.containers.values()) {
      if (!containerMatches(byRecord, { id: record.id, podSandboxId: record.sandboxId,
        state: cri.ContainerState.CONTAINER_UNKNOWN, labels: record.labels })) continue;
      const c = toContainer(record, await observeContainer(this.ctx, record));
      if (containerMatches(req.filter, c)) out.push(c);
    }
    return { containers: out };
  }

  async containerStatus(req: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse> {
    const record = getContainer(this.ctx, req.containerId);
    const status = toContainerStatus(record, await observeContainer(this.ctx, record));
    return cri.ContainerStatusResponse.fromPartial({ status });
  }

  async updateContainerResources(req: cri.UpdateContainerResourcesRequest):
    Promise<cri.UpdateContainerResourcesResponse> {
    const record = await runningContainer(this.ctx, req.containerId);
    const next = resourcesView(req.linux);
    await this.ctx.runc.update(record.id, ociResources(next, this.ctx.swapAccounting));
    record.resources = next;
    await this.ctx.records.saveContainer(record);
    return {};
  }

  async reopenContainerLog(req: cri.ReopenContainerLogRequest):
    Promise<cri.ReopenContainerLogResponse> {
    await reopenLog(this.ctx, await runningContainer(this.ctx, req.containerId));
    return {};
  }

  async execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    const r = await execSync(this.ctx, req.containerId, req.cmd, Number(req.timeout));
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  }

  async exec(req: cri.ExecRequest): Promise<cri.ExecResponse> {
    await runningContainer(this.ctx, req.containerId);
    if (req.cmd.length === 0) throw cri.criInvalid('exec command must not be empty');
    if (!req.stdin && !req.stdout && !req.stderr) {
      throw cri.criInvalid('one of stdin, stdout, or stderr must be set');
    }
    return this.streamingServer().getExec(req);
  }

  async attach(req: cri.AttachRequest): Promise<cri.AttachResponse> {
    getContainer(this.ctx, req.containerId);
    return this.streamingServer().getAttach(req);
  }

  async portForward(req: cri.PortForwardRequest): Promise<cri.PortForwardResponse> {
    getSandbox(this.ctx, req.podSandboxId);
    return this.streamingServer().getPortForward(req);
  }

  async containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse> {
    const record = getContainer(this.ctx, req.containerId);
    return { stats: await containerStats(this.ctx, record) };
  }

  async listContainerStats(req: cri.ListContainerStatsRequest):
    Promise<cri.ListContainerStatsResponse> {
    const stats: cri.ContainerStats[] = [];
    for (const record of this.ctx.containers.values()) {
      const facts = { id: record.id, podSandboxId: record.sandboxId, labels: record.labels,
        state: cri.ContainerState.CONTAINER_RUNNING };
      if (statsMatch(req.filter, facts)) stats.push(await containerStats(this.ctx, record));
    }
    return { stats };
  }

  async listImages(req: cri.ListImagesRequest): Promise<cri.ListImagesResponse> {
    const wanted = req.filter?.image?.image ?? '';
    const images = wanted === ''
      ? await this.ctx.images.list()
      : [await this.ctx.images.resolve(wanted)].filter((i) => i !== undefined);
    return { images: images.map(toImage) };
  }

  async imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    const image = await this.ctx.images.resolve(req.image?.image ?? '');
    return cri.ImageStatusResponse.fromPartial({ image: image ? toImage(image) : undefined });
  }

  async pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    return { imageRef: await pullImage(this.ctx, req.image?.image ?? '') };
  }

  async removeImage(req: cri.RemoveImageRequest): Promise<cri.RemoveImageResponse> {
    await this.ctx.images.remove(req.image?.image ?? '');
    return {};
  }

  async imageFsInfo(_req: cri.ImageFsInfoRequest): Promise<cri.ImageFsInfoResponse> {
    const fs = await statfs(this.ctx.images.rootDir).catch(() => undefined);
    const used = (await this.ctx.images.list()).reduce((n, i) => n + i.sizeBytes, 0);
    return cri.ImageFsInfoResponse.fromPartial({ imageFilesystems: [{
      timestamp: BigInt(Math.round(this.ctx.wallMs())) * 1_000_000n,
      fsId: { mountpoint: this.ctx.images.rootDir },
      usedBytes: { value: BigInt(used) },
      inodesUsed: { value: fs ? BigInt(fs.files - fs.ffree) : 0n },
    }] });
  }

  private containersOf(sandboxId: string): { id: string }[] {
    return [...this.ctx.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  private streamingServer(): StreamingUrls {
    if (!this.streaming) {
      throw new cri.CriError(14 /* UNAVAILABLE */, 'the streaming server is not running');
    }
    return this.streaming;
  }
}

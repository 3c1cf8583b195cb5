/**
 * CriRuntime: the Container Runtime Interface (runtime.v1 RuntimeService + ImageService) as one
 * TypeScript interface over the generated wire messages. It is the seam between the kubelet and
 * every runtime: in-house runtimes implement it in-process and src/runtime/cri-server.ts serves
 * them on a unix socket; the kubelet only ever holds the socket client from ./client.ts, which
 * implements the same interface. So a runtime is tested through the same shape the kubelet uses.
 *
 * Every method rejects with CriError (./errors.ts) for operating errors, with upstream's codes:
 * NOT_FOUND for unknown ids, INVALID_ARGUMENT for bad requests, FAILED_PRECONDITION for a wrong
 * state, DEADLINE_EXCEEDED for an ExecSync timeout.
 */
import type * as cri from '../../gen/cri/runtime/v1/api.js';

export * from '../../gen/cri/runtime/v1/api.js';
export { CriError, criNotFound, criInvalid, criPrecondition, isCriNotFound } from './errors.js';

/** The RuntimeService half: sandboxes, containers, exec and stats. */
export interface CriRuntimeService {
  /** Names the runtime and the CRI version it speaks ("v1"). */
  version(req: cri.VersionRequest): Promise<cri.VersionResponse>;
  /** Creates and starts a pod sandbox (namespaces, network with a pod IP); returns its id. */
  runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse>;
  /** Stops every container of the sandbox and tears its network down. Idempotent: a stopped or
   *  (as containerd answers) unknown sandbox is not an error to repeat on. */
  stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse>;
  /** Removes a sandbox and its containers (stopping them first). Removing an unknown sandbox
   *  succeeds, so the kubelet's garbage collection can retry freely. */
  removePodSandbox(req: cri.RemovePodSandboxRequest): Promise<cri.RemovePodSandboxResponse>;
  /** The sandbox's state, IPs and metadata; NOT_FOUND for an unknown id. */
  podSandboxStatus(req: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse>;
  /** Sandboxes matching the filter (id, state, labels; all ANDed). */
  listPodSandbox(req: cri.ListPodSandboxRequest): Promise<cri.ListPodSandboxResponse>;
  /** Creates (does not start) a container in a sandbox; returns its id. */
  createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse>;
  /** Starts a CREATED container. */
  startContainer(req: cri.StartContainerRequest): Promise<cri.StartContainerResponse>;
  /** Sends the stop signal, waits `timeout` seconds, then SIGKILLs. Idempotent on an exited
   *  container. */
  stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse>;
  /** Removes a container (killing it if running). Removing an unknown container succeeds. */
  removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse>;
  /** Containers matching the filter (id, sandbox, state, labels; all ANDed). */
  listContainers(req: cri.ListContainersRequest): Promise<cri.ListContainersResponse>;
  /** One container's state, timestamps, exit code and reason; NOT_FOUND for an unknown id. */
  containerStatus(req: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse>;
  /** Applies new cgroup limits to a running container (in-place resize). */
  updateContainerResources(
    req: cri.UpdateContainerResourcesRequest,
  ): Promise<cri.UpdateContainerResourcesResponse>;
  /** Reopens the container's log file after the kubelet rotated it. */
  reopenContainerLog(req: cri.ReopenContainerLogRequest): Promise<cri.ReopenContainerLogResponse>;
  /** Runs a command to completion (exec probes): stdout, stderr and exit code. A timeout
   *  (seconds, 0 = none) that passes rejects with DEADLINE_EXCEEDED. */
  execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse>;
  /** Prepares a streaming exec and returns the streaming server's URL for it. */
  exec(req: cri.ExecRequest): Promise<cri.ExecResponse>;
  /** Prepares a streaming attach to the container's main process; returns the URL. */
  attach(req: cri.AttachRequest): Promise<cri.AttachResponse>;
  /** Prepares a port-forward into the sandbox's network; returns the URL. */
  portForward(req: cri.PortForwardRequest): Promise<cri.PortForwardResponse>;
  /** CPU, memory and writable-layer usage of one container. */
  containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse>;
  /** Stats of the containers matching the filter. */
  listContainerStats(req: cri.ListContainerStatsRequest): Promise<cri.ListContainerStatsResponse>;
  /** RuntimeReady and NetworkReady conditions; the kubelet reports the node NotReady without. */
  status(req: cri.StatusRequest): Promise<cri.StatusResponse>;
}

/** The ImageService half: images present on the node. */
export interface CriImageService {
  /** Images matching the filter. */
  listImages(req: cri.ListImagesRequest): Promise<cri.ListImagesResponse>;
  /** The image if present; a response with `image` unset (not an error) when it is missing, so
   *  the kubelet can skip PullImage for images that were imported locally. */
  imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse>;
  /** Makes the image present; returns its image_ref (id or digest). */
  pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse>;
  /** Removes the image; removing a missing image succeeds. */
  removeImage(req: cri.RemoveImageRequest): Promise<cri.RemoveImageResponse>;
  /** Usage of the filesystem images are stored on (image garbage collection). */
  imageFsInfo(req: cri.ImageFsInfoRequest): Promise<cri.ImageFsInfoResponse>;
}

/** CriRuntime is both services, as one runtime endpoint serves them. */
export interface CriRuntime extends CriRuntimeService, CriImageService {}

/** The RPC names of each service, in the lowerCamelCase the interface uses: the server and
 *  client wire exactly these, and tests check every runtime implements all of them. */
export const CRI_RUNTIME_METHODS = [
  'version', 'runPodSandbox', 'stopPodSandbox', 'removePodSandbox', 'podSandboxStatus',
  'listPodSandbox', 'createContainer', 'startContainer', 'stopContainer', 'removeContainer',
  'listContainers', 'containerStatus', 'updateContainerResources', 'reopenContainerLog',
  'execSync', 'exec', 'attach', 'portForward', 'containerStats', 'listContainerStats', 'status',
] as const satisfies readonly (keyof CriRuntimeService)[];

/** See CRI_RUNTIME_METHODS. */
export const CRI_IMAGE_METHODS = [
  'listImages', 'imageStatus', 'pullImage', 'removeImage', 'imageFsInfo',
] as const satisfies readonly (keyof CriImageService)[];

/**
 * ObservedPod is the pod worker's view of what the runtime has for one pod: its sandboxes and
 * containers, every attempt the runtime still keeps. It is plain data in our own words (wall
 * milliseconds, string states), built from CRI answers by cri-observe.ts, so the pure plan and
 * status cores never see protobuf types and tests can write observations by hand.
 */

/** ObservedContainerState is CRI's ContainerState without the prefix. */
export type ObservedContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** ObservedContainer is one container instance (one attempt of one spec container). */
export interface ObservedContainer {
  id: string;
  /** The spec container's name (CRI metadata.name). */
  name: string;
  /** CRI metadata.attempt: 0 for the first instance, +1 per restart — the restartCount. */
  attempt: number;
  sandboxId: string;
  state: ObservedContainerState;
  /** Wall-clock milliseconds; 0 when it has not happened. */
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  exitCode: number;
  /** Runtime's reason for an exit (Completed, Error, OOMKilled) and message, or ''. */
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  /** The spec hash the worker stamped at creation (annotation io.kubernetes.container.hash). */
  specHash: string;
  /** Absolute path of the instance's CRI log ('' when the runtime did not say). */
  logPath: string;
}

/** ObservedSandbox is one pod sandbox attempt. */
export interface ObservedSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  createdAtMs: number;
  /** Pod IPs, primary first; empty when the runtime reported none (or it is not ready). */
  ips: string[];
}

/** ObservedPod is everything the runtime reported for one pod uid. */
export interface ObservedPod {
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

/**
 * podIpsOf: the pod's IPs — the node's for a hostNetwork pod (it shares the node's network, as
 * upstream reports it), else its ready sandbox's (none while no sandbox is ready).
 */
export function podIpsOf(hostNetwork: boolean, obs: ObservedPod, nodeIp: string): string[] {
  if (hostNetwork) return [nodeIp];
  const sb = latestSandbox(obs);
  return sb?.ready === true ? sb.ips : [];
}

/** EMPTY_OBSERVED is a pod the runtime knows nothing about. */
export const EMPTY_OBSERVED: ObservedPod = { sandboxes: [], containers: [] };

/** newer orders instances newest first: higher attempt, then later creation. */
function newerFirst<T extends { attempt: number; createdAtMs: number }>(a: T, b: T): number {
  return b.attempt - a.attempt || b.createdAtMs - a.createdAtMs;
}

/** latestSandbox is the newest sandbox attempt, the one the pod lives in (or undefined). */
export function latestSandbox(obs: ObservedPod): ObservedSandbox | undefined {
  return [...obs.sandboxes].sort(newerFirst)[0];
}

/** instancesOf lists a container's instances newest first, optionally only in one sandbox. */
export function instancesOf(
  obs: ObservedPod,
  name: string,
  sandboxId?: string,
): ObservedContainer[] {
  return obs.containers
    .filter((c) => c.name === name && (sandboxId === undefined || c.sandboxId === sandboxId))
    .sort(newerFirst);
}

/** latestInstance is a container's newest instance anywhere (its current state). */
export function latestInstance(obs: ObservedPod, name: string): ObservedContainer | undefined {
  return instancesOf(obs, name)[0];
}

/** nextAttempt is the attempt number for a new instance of name: one past the newest. */
export function nextAttempt(obs: ObservedPod, name: string): number {
  const latest = latestInstance(obs, name);
  return latest === undefined ? 0 : latest.attempt + 1;
}

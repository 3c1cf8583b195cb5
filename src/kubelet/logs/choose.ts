/**
 * Which container instance `kubectl logs [--previous]` reads, decided from the pod's status as
 * the kubelet reported it, pure, with the kubelet's own refusals (a waiting container has no
 * logs yet, a container that never restarted has no previous instance). The rule that
 * surprises: a container waiting to restart (CrashLoopBackOff) shows its last terminated
 * instance, with or without --previous, because that is the newest output there is.
 */
import type { ContainerStatus, Pod } from '../../api/core/v1/pod-types.js';

/** The chosen instance: its runtime id, and whether it is the newest instance. */
export interface LogInstance {
  /** The runtime's container id, without the "<runtime>://" scheme. */
  containerId: string;
  /** True for the current (newest) instance, false for the one before it. */
  newest: boolean;
}

/** findContainerStatus looks a container up among the pod's container and init statuses. */
export function findContainerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  const all = [...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? [])];
  return all.find((s) => s.name === container);
}

/** hasContainerSpec: the name is one of the pod's containers or init containers. */
export function hasContainerSpec(pod: Pod, container: string): boolean {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]
    .some((c) => c.name === container);
}

/** stripScheme turns "containerd://abc" (the API's containerID) into "abc". */
export function stripScheme(containerID: string): string {
  const i = containerID.indexOf('://');
  return i < 0 ? containerID : containerID.slice(i + 3);
}

/**
 * chooseLogInstance picks the instance to read, or returns the kubelet's message for why there
 * is none (the server answers it with 400).
 */
export function chooseLogInstance(
  podName: string,
  status: ContainerStatus | undefined,
  previous: boolean,
  container: string,
): LogInstance | string {
  const where = `container "${container}" in pod "${podName}"`;
  if (!status) return `${where} is not available`;
  const last = status.lastState?.terminated?.containerID;
  const { waiting, running, terminated } = status.state ?? {};
  if (previous) {
    if (!last) return `previous terminated ${where} not found`;
    return { containerId: stripScheme(last), newest: isNewestDead(status) };
  }
  if (running && status.containerID) return { containerId: stripScheme(status.containerID),
    newest: true };
  if (terminated) {
    const id = terminated.containerID || status.containerID;
    if (id) return { containerId: stripScheme(id), newest: true };
    if (last) return { containerId: stripScheme(last), newest: true };
    return `${where} is terminated`;
  }
  if (last) return { containerId: stripScheme(last), newest: true };
  if (waiting) return `${where} is waiting to start: ${waitingText(waiting.reason)}`;
  return `${where} is waiting to start - no logs yet`;
}

/** isNewestDead: no instance runs or ran after lastState (it is waiting to restart). */
function isNewestDead(status: ContainerStatus): boolean {
  return !status.state?.running && !status.state?.terminated;
}

function waitingText(reason: string | undefined): string {
  if (reason === 'ErrImagePull') return "image can't be pulled";
  if (reason === 'ImagePullBackOff') return 'trying and failing to pull image';
  return reason ?? '';
}

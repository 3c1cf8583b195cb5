/**
 * One core/v1 ContainerStatus from what the runtime reports about a container's instances, the
 * worker's waiting reasons and the probe results — upstream's convertToAPIContainerStatuses,
 * pure. The newest instance is the container's state; the one before it is lastState, which
 * is how `kubectl describe` shows "Last State: Terminated, Exit Code: 1" for a crash loop.
 */
import type {
  Container,
  ContainerState,
  ContainerStatus,
} from '../../api/core/v1/pod-types.js';
import { secondsText } from './seconds-text.js';
import type { ObservedContainer } from '../pod/observed.js';

/** ContainerStatusInput: one spec container and what is known about it. */
export interface ContainerStatusInput {
  spec: Container;
  /** Instances newest first (at most the two newest are used). */
  instances: readonly ObservedContainer[];
  /** A reason the worker holds this container back or failed to start it. */
  waiting?: { reason: string; message: string };
  /** Waiting reason when nothing else is known: PodInitializing or ContainerCreating. */
  defaultWaitingReason: string;
  /** Probe results for the newest instance. */
  ready: boolean;
  started: boolean;
  /** Prefix of containerID, e.g. "containerd" or "k8ts-process". */
  runtimeName: string;
}

/** timeOrNull renders a CRI wall time, 0 meaning "never" (null in the API). */
function timeOrNull(ms: number): string | null {
  return ms > 0 ? secondsText(ms) : null;
}

/** exitReason is the runtime's reason, else upstream's Completed/Error by exit code. */
function exitReason(c: ObservedContainer): string {
  if (c.reason !== '') return c.reason;
  return c.exitCode === 0 ? 'Completed' : 'Error';
}

/** terminatedState renders an exited (or lost) instance. */
export function terminatedState(c: ObservedContainer, runtimeName: string): ContainerState {
  if (c.state === 'unknown') {
    return {
      terminated: {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: 'The container could not be located when the pod was terminated',
        containerID: `${runtimeName}://${c.id}`,
      },
    };
  }
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: exitReason(c),
      ...(c.message !== '' ? { message: c.message } : {}),
      startedAt: timeOrNull(c.startedAtMs),
      finishedAt: timeOrNull(c.finishedAtMs),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

/** isTerminated: an instance that will never run again. */
function isTerminated(c: ObservedContainer): boolean {
  return c.state === 'exited' || c.state === 'unknown';
}

/** currentState picks state for the newest instance (or none). */
function currentState(input: ContainerStatusInput, latest: ObservedContainer | undefined) {
  const waiting: ContainerState = {
    waiting: input.waiting ?? { reason: input.defaultWaitingReason },
  };
  if (latest === undefined || latest.state === 'created') return waiting;
  if (latest.state === 'running') return { running: { startedAt: timeOrNull(latest.startedAtMs) } };
  return input.waiting !== undefined ? waiting : terminatedState(latest, input.runtimeName);
}

/** buildContainerStatus renders one container's status. */
export function buildContainerStatus(input: ContainerStatusInput): ContainerStatus {
  const [latest, previous] = input.instances;
  const state = currentState(input, latest);
  // A waiting state after an exit (CrashLoopBackOff) shows that exit as lastState.
  const last = state.waiting !== undefined && latest !== undefined && isTerminated(latest)
    ? latest
    : previous;
  const running = latest?.state === 'running';
  const status: ContainerStatus = {
    name: input.spec.name,
    state,
    lastState: last !== undefined && isTerminated(last)
      ? terminatedState(last, input.runtimeName)
      : {},
    ready: running && input.ready,
    restartCount: latest?.attempt ?? 0,
    image: latest?.image || input.spec.image || '',
    imageID: latest?.imageRef ?? '',
    started: running && input.started,
  };
  if (latest !== undefined) status.containerID = `${input.runtimeName}://${latest.id}`;
  return status;
}

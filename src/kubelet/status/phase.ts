/**
 * The pod phase from its container statuses and restartPolicy — upstream's getPhase, pure.
 * Pending until every init container succeeded and every container started; Running while a
 * container runs (or all exited but will be restarted); Succeeded when all exited 0 and none
 * will restart; Failed when all stopped, one failed, and none will restart (restartPolicy
 * Never, or the pod is terminal because it is being torn down).
 */
import type {
  Container,
  ContainerStatus,
  PodPhase,
  RestartPolicy,
} from '../../api/core/v1/pod-types.js';

/** PhaseInput: the spec's containers and the statuses built for them. */
export interface PhaseInput {
  restartPolicy: RestartPolicy;
  initContainers: readonly Container[];
  initStatuses: readonly ContainerStatus[];
  statuses: readonly ContainerStatus[];
  /** The worker stopped the pod for good (done, or torn down): nothing restarts. */
  terminal: boolean;
}

/** initFailedForGood: an init container failed and restartPolicy Never forbids a retry. */
function initFailed(s: ContainerStatus): boolean {
  const t = s.state?.terminated ?? s.lastState?.terminated;
  return t !== undefined && t.exitCode !== 0 && s.state?.running === undefined;
}

/** initPending counts init containers that have not (yet) succeeded; sidecars need running. */
function initPending(input: PhaseInput): number {
  let pending = 0;
  for (const c of input.initContainers) {
    const s = input.initStatuses.find((x) => x.name === c.name);
    if (c.restartPolicy === 'Always') {
      if (s?.state?.running === undefined) pending++;
      continue;
    }
    if (s?.state?.terminated?.exitCode !== 0) pending++;
  }
  return pending;
}

/** podPhase computes the phase; see the file comment. */
export function podPhase(input: PhaseInput): PodPhase {
  const noRetry = input.restartPolicy === 'Never' || input.terminal;
  if (noRetry && input.initStatuses.some((s, i) =>
    input.initContainers[i]?.restartPolicy !== 'Always' && initFailed(s))) {
    return 'Failed';
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of input.statuses) {
    if (s.state?.running !== undefined) running++;
    else if (s.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated !== undefined) stopped++;
    else waiting++;
  }
  const initIncomplete = initPending(input) > 0 && running === 0 && stopped === 0;
  if (initIncomplete && !input.terminal) return 'Pending';
  if (waiting > 0 && !input.terminal) return 'Pending';
  if (running > 0 && !input.terminal) return 'Running';
  if (input.terminal) return stopped > 0 && stopped === succeeded && waiting === 0
    ? 'Succeeded'
    : 'Failed';
  if (stopped === 0) return 'Pending';
  if (input.restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return input.restartPolicy === 'Never' ? 'Failed' : 'Running';
}

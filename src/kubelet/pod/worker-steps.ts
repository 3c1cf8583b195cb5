/**
 * The pod worker's effectful steps as plain async functions the actor invokes (actor.ts is the
 * shell that sequences them): one sync plus the status it yields, and the termination (kill
 * with grace, final status, removal). Also the timer and prober actors on the injected clock.
 */
import type { Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import { ContainerState } from '../cri/types.js';
import { generatePodStatus, statusChanged } from '../status/pod-status.js';
import { PodProber, type ProbeChange, type ProbedContainer } from '../probes/prober.js';
import type { PodObserver } from './cri-observe.js';
import type { ObservedPod } from './observed.js';
import type { ProbeKill, WaitingReason } from './plan.js';
import { LABEL_POD_UID } from './cri-config.js';
import { MIN_GRACE_SECONDS } from './lifecycle.js';
import { podEvent, podLog } from './pod-events.js';
import { withFallbackMessages } from './termination-message.js';
import { graceOf, killAll, removeAll, specOf, syncPod, type WorkerMemory } from './sync.js';
import type { PodWorkerDeps, PodWorkerTuning } from './types.js';

/** ProbeState is what the probers reported, by container id. */
export interface ProbeState {
  ready: Record<string, boolean>;
  started: Record<string, boolean>;
  kills: Record<string, ProbeKill>;
}

/** EMPTY_PROBES: nothing reported yet. */
export const EMPTY_PROBES: ProbeState = { ready: {}, started: {}, kills: {} };

/** StatusFacts: what a status is built from besides the pod. */
export interface StatusFacts {
  deps: PodWorkerDeps;
  pod: Pod;
  observed: ObservedPod;
  waiting: Record<string, WaitingReason>;
  probes: ProbeState;
  terminal: boolean;
  lastStatus: PodStatus | undefined;
  runtimeName: string;
  /** The kubelet failed the pod itself (WorkerMemory.failure). */
  failure?: WaitingReason | undefined;
}

/** buildStatus renders the pod status; the previous one (ours, else the API's) supplies
 *  transition times and startTime. */
export function buildStatus(f: StatusFacts): PodStatus {
  return generatePodStatus({
    pod: { ...f.pod, status: f.lastStatus ?? f.pod.status },
    observed: f.observed,
    nowMs: f.deps.wallMs(),
    waiting: f.waiting,
    probes: f.probes,
    nodeIp: f.deps.node.ip,
    runtimeName: f.runtimeName,
    terminal: f.terminal,
    ...(f.pod.status?.conditions !== undefined ? { apiConditions: f.pod.status.conditions } : {}),
    ...(f.failure !== undefined ? { failure: f.failure } : {}),
  });
}

/** reportIfChanged hands the status to the status manager when it differs from the last one;
 *  returns the status now in force. */
export function reportIfChanged(f: StatusFacts): PodStatus {
  const status = buildStatus(f);
  if (!statusChanged(f.lastStatus, status)) return f.lastStatus ?? status;
  f.deps.reportStatus(f.pod, status);
  return status;
}

/** runningTargets lists running instances the prober should watch. */
export function runningTargets(pod: Pod, obs: ObservedPod): ProbedContainer[] {
  const out: ProbedContainer[] = [];
  for (const c of obs.containers) {
    if (c.state !== 'running') continue;
    const spec = specOf(pod, c.name);
    if (spec !== undefined) out.push({ id: c.id, spec, startedAtMs: c.startedAtMs });
  }
  return out;
}

/** pruneProbes keeps probe results only for instances that still exist. */
export function pruneProbes(p: ProbeState, obs: ObservedPod): ProbeState {
  const ids = new Set(obs.containers.map((c) => c.id));
  const keep = <T>(r: Record<string, T>) =>
    Object.fromEntries(Object.entries(r).filter(([id]) => ids.has(id)));
  return { ready: keep(p.ready), started: keep(p.started), kills: keep(p.kills) };
}

/** applyProbeChange folds one verdict change into the probe state. */
export function applyProbeChange(p: ProbeState, ch: ProbeChange): ProbeState {
  const id = ch.containerId;
  if (ch.kind === 'readiness') {
    return { ...p, ready: { ...p.ready, [id]: ch.result === 'success' } };
  }
  if (ch.kind === 'startup' && ch.result === 'success') {
    return { ...p, started: { ...p.started, [id]: true } };
  }
  if (ch.result === 'failure') return { ...p, kills: { ...p.kills, [id]: ch.kind } };
  return p;
}

/** SyncStepInput is one sync's input from the actor's context. */
export interface SyncStepInput {
  deps: PodWorkerDeps;
  observer: PodObserver;
  pod: Pod;
  memory: WorkerMemory;
  probes: ProbeState;
  tuning: PodWorkerTuning;
  previousWaiting: Record<string, WaitingReason>;
  startTime: string | null | undefined;
}

/** runSyncStep is syncPod with the probe kills the actor collected. */
export function runSyncStep(i: SyncStepInput) {
  return syncPod({
    deps: i.deps, observer: i.observer, pod: i.pod, memory: i.memory,
    probeKills: i.probes.kills, tuning: i.tuning, previousWaiting: i.previousWaiting,
    startTime: i.startTime,
  });
}

/** TerminateInput: how to kill the pod and what the final status is built from. */
export interface TerminateInput extends Omit<StatusFacts, 'observed' | 'terminal'> {
  observer: PodObserver;
  graceSeconds: number;
}

/**
 * runTerminate kills every container (preStop, then SIGTERM with the grace period, then
 * SIGKILL), stops the sandbox, reports the final status (terminal phase), then removes
 * containers and sandboxes. Returns the final status.
 */
export async function runTerminate(i: TerminateInput): Promise<PodStatus> {
  const obs = await i.observer.observe();
  await killAll(i.deps, i.pod, obs, i.graceSeconds);
  const { observed: after } = await withFallbackMessages(i.pod, await i.observer.observe(), {});
  const finalStatus = reportIfChanged({ ...i, observed: after, terminal: true });
  await removeAll(i.deps, i.observer, after);
  return finalStatus;
}

/** HurryInput: a shorter grace period for a termination already under way. */
export interface HurryInput {
  deps: PodWorkerDeps;
  pod: Pod;
  graceSeconds: number;
}

/** hurryStop re-stops the pod's running containers with a shorter timeout; the stop already
 *  in flight returns as soon as they exit. Failures are logged: the termination goes on. */
export async function hurryStop(i: HurryInput): Promise<void> {
  const uid = i.pod.metadata.uid ?? '';
  try {
    const { containers } = await i.deps.cri.listContainers({ filter: {
      id: '', podSandboxId: '', labelSelector: { [LABEL_POD_UID]: uid },
      state: { state: ContainerState.CONTAINER_RUNNING },
    } });
    // A forced deletion (grace 0) kills at once: runtimes honour a second StopContainer only
    // when it is shorter, and the process runtime only one with timeout 0.
    const timeout = BigInt(i.graceSeconds === 0 ? 0 : Math.max(MIN_GRACE_SECONDS, i.graceSeconds));
    await Promise.all(containers.map((c) =>
      i.deps.cri.stopContainer({ containerId: c.id, timeout })));
  } catch (err) {
    podLog(i.deps, i.pod, `shortening the grace period failed: ${String(err)}`);
  }
}

/** deletionGrace picks the grace period of a deletion: the event's, the API's, the spec's. */
export function deletionGrace(pod: Pod, requested: number | undefined): number {
  return Math.max(0, requested ?? pod.metadata.deletionGracePeriodSeconds ?? graceOf(pod));
}

/** newProber builds the pod's prober, wired to events and to the actor's mailbox. */
export function newProber(
  deps: PodWorkerDeps,
  pod: () => Pod,
  send: (change: ProbeChange) => void,
): PodProber {
  return new PodProber({
    cri: deps.cri,
    clock: deps.clock,
    wallMs: () => deps.wallMs(),
    onChange: send,
    onFailure: (name, kind, output) => {
      const Kind = kind[0]!.toUpperCase() + kind.slice(1);
      podEvent(deps, pod(), 'Warning', 'Unhealthy', `${Kind} probe failed: ${output}`);
    },
  });
}

/**
 * The pod worker's pure core, in the spirit of upstream's computePodActions: from the pod spec,
 * what the runtime reports (ObservedPod), the back-off state and the time, decide what one sync
 * must do — create a sandbox, kill the pod, start the next init container, start or kill
 * regular containers — and when the worker should look again. No I/O, no clock: the executor
 * (sync.ts) performs the actions in the fixed order killPod → kill → createSandbox → startInit
 * → start.
 *
 * Rules, as the kubelet applies them:
 * - A pod lives in one ready sandbox; none, or a dead one, means a new sandbox (attempt + 1) and
 *   every container started again from the first init container — unless restartPolicy is
 *   Never and containers already ran, or nothing would be started: then the pod is done.
 * - Init containers run in order, each to exit 0 before the next; a failed one is restarted
 *   (restartPolicy Always/OnFailure) or fails the pod (Never). An init container with
 *   restartPolicy Always (a sidecar) counts as done once running and is kept running.
 * - Regular containers follow restartPolicy; a container whose spec hash changed, or that
 *   failed its liveness or startup probe, is killed (and started by a later sync, which applies
 *   CrashLoopBackOff like any other restart).
 * - Restarting an exited container waits out its CrashLoopBackOff delay; starting a container
 *   whose image failed to pull waits out the pull back-off (ImagePullBackOff).
 */
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import { backoffUntilMs, formatDelay, nextBackoff, type BackoffEntry } from './backoff.js';
import { containerSpecHash } from './container-hash.js';
import {
  instancesOf,
  latestInstance,
  latestSandbox,
  type ObservedContainer,
  type ObservedPod,
} from './observed.js';

/** PullFailure is an image's last failed pull and the back-off it armed. */
export interface PullFailure {
  atMs: number;
  entry: BackoffEntry;
  message: string;
}

/** ProbeKill says why a probe wants a running container killed. */
export type ProbeKill = 'liveness' | 'startup';

/** PlanTuning are the CrashLoopBackOff knobs (PodWorkerTuning's subset the plan needs). */
export interface PlanTuning {
  backoffBaseMs: number;
  backoffMaxMs: number;
  backoffResetMs: number;
}

/** PlanInput is everything one decision depends on. Times are wall-clock milliseconds. */
export interface PlanInput {
  pod: Pod;
  observed: ObservedPod;
  nowMs: number;
  /** CrashLoopBackOff per container name. */
  crashBackoff: Readonly<Record<string, BackoffEntry>>;
  /** Pull failures per image reference. */
  pullFailures: Readonly<Record<string, PullFailure>>;
  /** Container ids whose liveness or startup probe failed. */
  probeKills: Readonly<Record<string, ProbeKill>>;
  tuning: PlanTuning;
  /** spec.activeDeadlineSeconds passed: the pod is killed and fails (DeadlineExceeded). */
  deadlineExceeded?: boolean;
}

/** ContainerKill is one container to stop, with the event text saying why. */
export interface ContainerKill {
  containerId: string;
  name: string;
  reason: 'liveness' | 'startup' | 'specChanged' | 'unknownState';
  message: string;
}

/** WaitingReason is a container state.waiting a status shows (CrashLoopBackOff...). */
export interface WaitingReason {
  reason: string;
  message: string;
}

/** PodActions is the outcome of one plan. */
export interface PodActions {
  /** Stop every container and every sandbox first (sandbox changed, or the pod is done). */
  killPod: boolean;
  createSandbox?: { attempt: number };
  /** The next init container to start. */
  startInit?: string;
  /** Regular (and sidecar) containers to start, in spec order. */
  start: string[];
  kill: ContainerKill[];
  /** Containers held back by a back-off, keyed by name. */
  waiting: Record<string, WaitingReason>;
  /** The CrashLoopBackOff state after this plan's starts. */
  crashBackoff: Record<string, BackoffEntry>;
  /** When to sync again at the latest because a back-off ends (wall ms). */
  wakeAtMs?: number;
  /** Nothing will ever run again: restartPolicy and exit codes say the pod is finished. */
  podDone: boolean;
}

/** restartPolicyOf defaults the pod's restartPolicy as the API does. */
export function restartPolicyOf(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  return pod.spec?.restartPolicy ?? 'Always';
}

/** isSidecar: an init container with restartPolicy Always runs beside the main containers. */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** emptyActions starts a plan that does nothing. */
function emptyActions(input: PlanInput): PodActions {
  return {
    killPod: false,
    start: [],
    kill: [],
    waiting: {},
    crashBackoff: { ...input.crashBackoff },
    podDone: false,
  };
}

/** computePodActions decides one sync; see the file comment for the rules. */
export function computePodActions(input: PlanInput): PodActions {
  const spec = input.pod.spec;
  assert(spec !== undefined, 'plan: pod without spec');
  const out = emptyActions(input);
  const sandboxes = input.observed.sandboxes;
  if (input.deadlineExceeded === true) {
    out.killPod = sandboxes.length > 0;
    out.podDone = true;
    return out;
  }
  const ready = sandboxes.filter((s) => s.ready);
  const latest = latestSandbox(input.observed);
  if (latest === undefined || !latest.ready || ready.length > 1) {
    planNewSandbox(input, out, latest === undefined ? 0 : latest.attempt + 1);
    return out;
  }
  const initDone = planInit(input, out, latest.id);
  if (initDone) planMain(input, out, latest.id);
  return out;
}

/** planNewSandbox: kill what is left, then a fresh sandbox and everything from the start. */
function planNewSandbox(input: PlanInput, out: PodActions, attempt: number): void {
  const spec = input.pod.spec!;
  const policy = restartPolicyOf(input.pod);
  out.killPod = input.observed.sandboxes.length > 0;
  if (policy === 'Never' && attempt !== 0 && input.observed.containers.length > 0) {
    out.podDone = true;
    return;
  }
  const toStart = spec.containers.filter(
    (c) => !(policy === 'OnFailure' && succeeded(latestInstance(input.observed, c.name))),
  );
  if (toStart.length === 0) {
    out.podDone = true;
    return;
  }
  out.createSandbox = { attempt };
  const first = spec.initContainers?.[0];
  if (first !== undefined) {
    if (gateStart(input, out, first)) out.startInit = first.name;
    return;
  }
  for (const c of toStart) if (gateStart(input, out, c)) out.start.push(c.name);
}

/** succeeded: an instance that exited with code 0. */
function succeeded(c: ObservedContainer | undefined): boolean {
  return c !== undefined && c.state === 'exited' && c.exitCode === 0;
}

/** initFailed: an init instance that must run again (non-zero exit, never started, unknown). */
function initFailed(c: ObservedContainer): boolean {
  return (c.state === 'exited' && c.exitCode !== 0) || c.state === 'created' ||
    c.state === 'unknown';
}

/**
 * planInit walks the init containers in order within the current sandbox. Returns true when
 * initialization is complete and the main containers may be considered.
 */
function planInit(input: PlanInput, out: PodActions, sandboxId: string): boolean {
  const spec = input.pod.spec!;
  const inits = spec.initContainers ?? [];
  if (inits.length === 0) return true;
  const mainRunning = spec.containers.some(
    (c) => instancesOf(input.observed, c.name, sandboxId)[0]?.state === 'running',
  );
  if (mainRunning) return true;
  for (const c of inits) {
    const s = instancesOf(input.observed, c.name, sandboxId)[0];
    if (s !== undefined && s.state === 'running') {
      if (isSidecar(c)) continue;
      return false;
    }
    if (s !== undefined && succeeded(s) && !isSidecar(c)) continue;
    const never = restartPolicyOf(input.pod) === 'Never';
    if (s !== undefined && initFailed(s) && !isSidecar(c) && never) {
      out.killPod = true;
      out.podDone = true;
      return false;
    }
    if (s !== undefined && s.state === 'unknown') {
      out.kill.push(killOf(s, 'unknownState', `Container ${c.name} is in an unknown state`));
      out.wakeAtMs = input.nowMs;
      return false;
    }
    if (gateStart(input, out, c)) out.startInit = c.name;
    return false;
  }
  return true;
}

/** killOf builds a ContainerKill. */
function killOf(c: ObservedContainer, reason: ContainerKill['reason'], message: string) {
  return { containerId: c.id, name: c.name, reason, message };
}

/** shouldRestart is upstream's ShouldContainerBeRestarted for a non-running instance. */
function shouldRestart(pod: Pod, c: Container, latest: ObservedContainer | undefined): boolean {
  if (latest === undefined || latest.state === 'created' || latest.state === 'unknown') return true;
  if (latest.state === 'running') return false;
  if (isSidecar(c)) return true;
  const policy = restartPolicyOf(pod);
  if (policy === 'Never') return false;
  return policy === 'Always' || latest.exitCode !== 0;
}

/** killReason says why a running container must go, or undefined to keep it. */
function killReason(
  input: PlanInput,
  c: Container,
  s: ObservedContainer,
): ContainerKill | undefined {
  const restart = restartPolicyOf(input.pod) !== 'Never' || isSidecar(c);
  const tail = restart ? ', will be restarted' : '';
  if (s.specHash !== '' && s.specHash !== containerSpecHash(c)) {
    return killOf(s, 'specChanged', `Container ${c.name} definition changed, will be restarted`);
  }
  const probe = input.probeKills[s.id];
  if (probe === 'liveness') {
    return killOf(s, 'liveness', `Container ${c.name} failed liveness probe${tail}`);
  }
  if (probe === 'startup') {
    return killOf(s, 'startup', `Container ${c.name} failed startup probe${tail}`);
  }
  return undefined;
}

/** planMain handles sidecars and regular containers once initialization is complete. */
function planMain(input: PlanInput, out: PodActions, sandboxId: string): void {
  const spec = input.pod.spec!;
  const sidecars = (spec.initContainers ?? []).filter(isSidecar);
  let keep = 0;
  const toStart: Container[] = [];
  for (const c of [...sidecars, ...spec.containers]) {
    const latest = latestInstance(input.observed, c.name);
    const current = latest?.sandboxId === sandboxId ? latest : undefined;
    if (current === undefined || current.state !== 'running') {
      if (shouldRestart(input.pod, c, latest)) toStart.push(c);
      if (latest?.state === 'unknown') {
        out.kill.push(killOf(latest, 'unknownState', `Container ${c.name} is in an unknown state`));
      }
      continue;
    }
    const kill = killReason(input, c, current);
    if (kill === undefined) {
      keep++;
      continue;
    }
    out.kill.push(kill);
    out.wakeAtMs = input.nowMs;
    if (kill.reason !== 'specChanged' && restartPolicyOf(input.pod) === 'Never' && !isSidecar(c)) {
      continue;
    }
    keep++; // it will be started again by the sync after the kill
  }
  if (keep === 0 && toStart.length === 0) {
    out.killPod = true;
    out.podDone = true;
    return;
  }
  if (out.kill.some((k) => k.reason === 'unknownState')) return;
  for (const c of toStart) if (gateStart(input, out, c)) out.start.push(c.name);
}

/**
 * gateStart applies CrashLoopBackOff (for a restart of an exited instance) and the image pull
 * back-off. Returns whether c may start now; otherwise records the waiting reason and wake-up.
 */
function gateStart(input: PlanInput, out: PodActions, c: Container): boolean {
  const pod = input.pod;
  const latest = latestInstance(input.observed, c.name);
  // A 'created' instance is one whose start failed: it backs off like a crash, from creation.
  if (latest !== undefined && (latest.state === 'exited' || latest.state === 'created')) {
    const t = input.tuning;
    const policy = { baseMs: t.backoffBaseMs, maxMs: t.backoffMaxMs };
    const eventMs = latest.state === 'exited' ? latest.finishedAtMs : latest.createdAtMs;
    const ranMs = latest.finishedAtMs - latest.startedAtMs;
    const entry = latest.startedAtMs > 0 && ranMs >= t.backoffResetMs
      ? undefined
      : out.crashBackoff[c.name];
    const untilMs = backoffUntilMs(entry, eventMs, input.nowMs, policy);
    if (untilMs !== undefined && entry !== undefined) {
      const m = pod.metadata;
      const who = `${m.name}_${m.namespace ?? 'default'}(${m.uid})`;
      out.waiting[c.name] = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDelay(entry.delayMs)} restarting failed container=${c.name} ` +
          `pod=${who}`,
      };
      wakeAt(out, untilMs);
      return false;
    }
    out.crashBackoff[c.name] = nextBackoff(entry, eventMs, input.nowMs, policy);
  }
  const pull = c.image === undefined ? undefined : input.pullFailures[c.image];
  if (pull !== undefined && input.nowMs < pull.atMs + pull.entry.delayMs) {
    out.waiting[c.name] = {
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "${c.image}"`,
    };
    wakeAt(out, pull.atMs + pull.entry.delayMs);
    return false;
  }
  return true;
}

/** wakeAt lowers out.wakeAtMs to atMs. */
function wakeAt(out: PodActions, atMs: number): void {
  out.wakeAtMs = out.wakeAtMs === undefined ? atMs : Math.min(out.wakeAtMs, atMs);
}

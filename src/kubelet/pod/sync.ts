/**
 * One sync of a live pod: observe the runtime, plan (plan.ts, pure), perform the actions in
 * their fixed order — kill the pod, kill containers, create the sandbox, start the next init
 * container, start containers (their image checks run while the sandbox is made) — observe
 * again (after starts alone: only the new instances' statuses), collect garbage. The worker's
 * memory (back-off state, pull failures, start errors) goes in and comes out as plain data,
 * so the XState actor keeps it in its context and this function holds no state of its own but
 * the observer cache.
 */
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import { isCriNotFound, type PodSandboxConfig } from '../cri/types.js';
import { nextBackoff, type BackoffEntry } from './backoff.js';
import { buildSandboxConfig } from './cri-config.js';
import type { PodObserver, Started } from './cri-observe.js';
import { selectGarbage, withoutRemoved } from './gc.js';
import { ensureImage, errorMessage, type ImageResult } from './images.js';
import { killContainer, startContainer, type StartContext } from './lifecycle.js';
import { latestSandbox, podIpsOf, type ObservedPod } from './observed.js';
import {
  computePodActions,
  type PodActions,
  type ProbeKill,
  type PullFailure,
  type WaitingReason,
} from './plan.js';
import { podEvent, podLog } from './pod-events.js';
import { withFallbackMessages } from './termination-message.js';
import type { PodWorkerDeps, PodWorkerTuning, PreparedPod } from './types.js';

/** WorkerMemory is what a pod worker remembers between syncs. */
export interface WorkerMemory {
  crashBackoff: Record<string, BackoffEntry>;
  pullFailures: Record<string, PullFailure>;
  /** The last failed start per container name, shown as its waiting reason. */
  startErrors: Record<string, WaitingReason>;
  /** Sandbox creation failures back off like crashes. */
  sandboxBackoff?: { atMs: number; entry: BackoffEntry };
  /** Why the kubelet failed the pod itself (DeadlineExceeded), shown as status reason. */
  failure?: WaitingReason;
  /** Log tails read for FallbackToLogsOnError, by container id. */
  logMessages?: Record<string, string>;
}

/** EMPTY_MEMORY is a fresh worker's memory. */
export const EMPTY_MEMORY: WorkerMemory = { crashBackoff: {}, pullFailures: {}, startErrors: {} };

/** SyncInput is one sync's input. */
export interface SyncInput {
  deps: PodWorkerDeps;
  observer: PodObserver;
  pod: Pod;
  memory: WorkerMemory;
  probeKills: Readonly<Record<string, ProbeKill>>;
  tuning: PodWorkerTuning;
  /** The waiting reasons of the previous sync: a back-off event is recorded once per change. */
  previousWaiting: Readonly<Record<string, WaitingReason>>;
  /** status.startTime as last reported: activeDeadlineSeconds counts from it. */
  startTime?: string | null | undefined;
}

/** SyncResult is what one sync learned and decided. */
export interface SyncResult {
  memory: WorkerMemory;
  observed: ObservedPod;
  /** Waiting reasons for the status: back-off holds and start errors. */
  waiting: Record<string, WaitingReason>;
  /** Wall ms at which the next sync is due at the latest (a back-off ends). */
  wakeAtMs?: number;
  /** The pod finished: nothing will run again. */
  podDone: boolean;
}

/** graceOf is the pod's terminationGracePeriodSeconds (default 30). */
export function graceOf(pod: Pod): number {
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** allContainers lists init and regular containers. */
function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

/** specOf finds a container (init or regular) by name. */
export function specOf(pod: Pod, name: string): Container | undefined {
  const spec = pod.spec;
  return spec?.containers.find((c) => c.name === name) ??
    spec?.initContainers?.find((c) => c.name === name);
}

/** syncPod performs one sync; see the file comment. */
export async function syncPod(input: SyncInput): Promise<SyncResult> {
  const { deps, pod } = input;
  // Only images and names the spec still has are remembered (bounded by the spec).
  const images = new Set(allContainers(pod).map((c) => c.image ?? ''));
  const names = new Set(allContainers(pod).map((c) => c.name));
  const memory: WorkerMemory = {
    ...input.memory,
    pullFailures: Object.fromEntries(Object.entries(input.memory.pullFailures)
      .filter(([image]) => images.has(image))),
    startErrors: Object.fromEntries(Object.entries(input.memory.startErrors)
      .filter(([name]) => names.has(name))),
  };
  deps.trace?.(pod, 'sync');
  let observed = await input.observer.observe();
  const t = input.tuning;
  const nowMs = deps.wallMs();
  const deadline = activeDeadline(pod, input.startTime, nowMs);
  if (deadline.exceeded && memory.failure === undefined) {
    memory.failure = { reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE };
    podEvent(deps, pod, 'Warning', 'DeadlineExceeded', DEADLINE_MESSAGE);
  }
  const actions = computePodActions({
    pod,
    observed,
    nowMs,
    crashBackoff: memory.crashBackoff,
    pullFailures: memory.pullFailures,
    probeKills: input.probeKills,
    tuning: t,
    deadlineExceeded: deadline.exceeded,
  });
  memory.crashBackoff = actions.crashBackoff;
  backoffEvents(input, actions.waiting);
  const done = await perform(input, memory, observed, actions);
  if (done.started !== undefined) {
    // Only starts, all fine: what the sync saw plus what it made (the node's relist, or the
    // next poll, catches any other change meanwhile).
    observed = await input.observer.afterStart(observed, done.started) ??
      await input.observer.observe();
  } else if (done.acted) {
    observed = await input.observer.observe();
  }
  observed = await collectGarbage(input, observed);
  const filled = await withFallbackMessages(pod, observed, memory.logMessages ?? {});
  observed = filled.observed;
  memory.logMessages = filled.known;
  let wakeAtMs = minDefined(actions.wakeAtMs, deadline.atMs);
  if (memory.sandboxBackoff !== undefined && actions.createSandbox !== undefined) {
    const sb = memory.sandboxBackoff;
    wakeAtMs = Math.min(wakeAtMs ?? Infinity, sb.atMs + sb.entry.delayMs);
  }
  return {
    memory,
    observed,
    waiting: { ...memory.startErrors, ...actions.waiting },
    ...(wakeAtMs !== undefined ? { wakeAtMs } : {}),
    podDone: actions.podDone,
  };
}

/** upstream's message for a pod past spec.activeDeadlineSeconds. */
export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** activeDeadline: whether spec.activeDeadlineSeconds has passed since startTime, else when
 *  it will (so the worker wakes up for it). */
export function activeDeadline(pod: Pod, startTime: string | null | undefined, nowMs: number) {
  const seconds = pod.spec?.activeDeadlineSeconds;
  const startMs = startTime ? Date.parse(startTime) : NaN;
  if (seconds === undefined || Number.isNaN(startMs)) return { exceeded: false };
  const atMs = startMs + seconds * 1000;
  return nowMs >= atMs ? { exceeded: true } : { exceeded: false, atMs };
}

/** minDefined is the smaller of two optional times. */
function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/** backoffEvents records BackOff events for holds that are new since the previous sync. */
function backoffEvents(input: SyncInput, waiting: Record<string, WaitingReason>): void {
  const { deps, pod } = input;
  const m = pod.metadata;
  for (const [name, w] of Object.entries(waiting)) {
    if (input.previousWaiting[name]?.message === w.message) continue;
    if (w.reason === 'CrashLoopBackOff') {
      podEvent(deps, pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} ` +
        `in pod ${m.name}_${m.namespace ?? 'default'}(${m.uid})`);
    } else {
      podEvent(deps, pod, 'Normal', 'BackOff', w.message);
    }
  }
}

/** Performed: whether a sync touched the runtime; `started` when all it did was start what
 *  the plan asked (a sandbox, containers) and every start succeeded. */
interface Performed {
  acted: boolean;
  started?: Started;
}

/** perform runs the plan's actions in order. */
async function perform(
  input: SyncInput,
  memory: WorkerMemory,
  observed: ObservedPod,
  actions: PodActions,
): Promise<Performed> {
  const { deps, pod } = input;
  let acted = false;
  if (actions.killPod) {
    await killAll(deps, pod, observed, graceOf(pod));
    acted = true;
  }
  const podIp = podIpsOf(pod.spec?.hostNetwork === true, observed, deps.node.ip)[0] ?? '';
  await Promise.all(actions.kill.map((k) => {
    const instance = observed.containers.find((c) => c.id === k.containerId);
    assert(instance !== undefined, 'sync: kill of an unobserved container');
    const spec = specOf(pod, k.name);
    const probeGrace = k.reason === 'liveness' ? spec?.livenessProbe?.terminationGracePeriodSeconds
      : k.reason === 'startup' ? spec?.startupProbe?.terminationGracePeriodSeconds
      : undefined;
    return killContainer(deps, pod, {
      instance, spec, podIp, message: k.message, graceSeconds: probeGrace ?? graceOf(pod),
    });
  }));
  acted ||= actions.kill.length > 0;
  const names = [...(actions.startInit !== undefined ? [actions.startInit] : []), ...actions.start];
  if (actions.createSandbox === undefined && names.length === 0) return { acted };
  const ctx = await startContext(input, memory, observed, actions, names);
  if (ctx === undefined) return { acted: true };
  const containerIds: string[] = [];
  for (const name of names) {
    const id = await startOne(ctx, memory, name, input.tuning);
    if (id !== undefined) containerIds.push(id);
  }
  if (acted || containerIds.length < names.length) return { acted: true };
  const newSandbox = actions.createSandbox !== undefined;
  return { acted: true, started: { sandboxId: ctx.sandboxId, newSandbox, containerIds } };
}

/**
 * startContext prepares the pod (env, mounts, DNS) and makes sure a sandbox exists, creating
 * one when the plan says so. Undefined when either failed (recorded in memory).
 */
async function startContext(
  input: SyncInput,
  memory: WorkerMemory,
  observed: ObservedPod,
  actions: PodActions,
  names: readonly string[],
): Promise<StartContext | undefined> {
  const { deps, pod } = input;
  const sandbox = latestSandbox(observed);
  let sandboxId = sandbox?.id ?? '';
  let podIps = sandbox?.ips ?? [];
  let attempt = sandbox?.attempt ?? 0;
  let images: Map<string, Promise<ImageResult>> | undefined;
  // One sandbox config serves RunPodSandbox, the image checks and every CreateContainer: it
  // is built from what does not depend on the pod's IPs (hostname, DNS, log directory).
  let sandboxConfig: PodSandboxConfig | undefined;
  let forSandbox: PreparedPod | undefined;
  if (actions.createSandbox !== undefined) {
    forSandbox = await prepareOrRecord(input, memory, pod, names);
    if (forSandbox === undefined) return undefined;
    attempt = actions.createSandbox.attempt;
    sandboxConfig = buildSandboxConfig(pod, forSandbox, attempt);
    // The images are checked while the sandbox is made: both are runtime round trips.
    images = checkImagesEarly(deps, pod, names, sandboxConfig);
    const created = await createSandbox(input, memory, sandboxConfig);
    if (created === undefined) return undefined;
    deps.trace?.(pod, 'sandbox');
    ({ sandboxId, podIps } = created);
  } else {
    assert(sandbox !== undefined && sandbox.ready, 'sync: start without a ready sandbox');
  }
  // Env and mounts are resolved with the pod IPs known, for the downward API's status.podIP;
  // a pod that reads neither IP field is prepared once (what prepare returned before the
  // sandbox is what it would return now).
  const withIps = withPodIps(pod, pod.spec?.hostNetwork === true ? [deps.node.ip] : podIps);
  const prepared = forSandbox !== undefined && !readsPodIps(pod) ? forSandbox
    : await prepareOrRecord(input, memory, withIps, names);
  if (prepared === undefined) return undefined;
  return {
    deps, pod, prepared, observed, sandboxId, ...(images !== undefined ? { images } : {}),
    sandboxConfig: sandboxConfig ?? buildSandboxConfig(pod, prepared, attempt),
    podIp: pod.spec?.hostNetwork === true ? deps.node.ip : podIps[0] ?? '',
  };
}

/** The downward API's fields that hold the pod's own IPs (known once its sandbox exists). */
const POD_IP_FIELDS: ReadonlySet<string> = new Set(['status.podIP', 'status.podIPs']);

/**
 * readsPodIps: some container's env, or a downwardAPI (or projected downwardAPI) volume item,
 * takes status.podIP or status.podIPs — the only parts of a prepared pod that change once the
 * sandbox has its IPs (a subPathExpr reads them only through such an env var). Pure.
 */
export function readsPodIps(pod: Pod): boolean {
  const ipField = (f: { fieldRef?: { fieldPath: string } | undefined } | undefined): boolean =>
    f?.fieldRef !== undefined && POD_IP_FIELDS.has(f.fieldRef.fieldPath);
  for (const c of allContainers(pod)) {
    if ((c.env ?? []).some((e) => ipField(e.valueFrom))) return true;
  }
  for (const v of pod.spec?.volumes ?? []) {
    if ((v.downwardAPI?.items ?? []).some(ipField)) return true;
    for (const src of v.projected?.sources ?? []) {
      if ((src.downwardAPI?.items ?? []).some(ipField)) return true;
    }
  }
  return false;
}

/**
 * checkImagesEarly starts the image check (ImageStatus, a pull when absent) of each container
 * the sync will start, by name, for startContainer to await. Each is caught here so a sandbox
 * failure that leaves them unread raises no unhandled rejection; the start still sees it.
 */
function checkImagesEarly(deps: PodWorkerDeps, pod: Pod, names: readonly string[],
  config: PodSandboxConfig): Map<string, Promise<ImageResult>> {
  const out = new Map<string, Promise<ImageResult>>();
  for (const name of names) {
    const c = specOf(pod, name);
    if (c === undefined) continue;
    const check = ensureImage(deps, pod, c, config);
    check.catch(() => undefined);
    out.set(name, check);
  }
  return out;
}

/** withPodIps is pod with status.podIP/podIPs set, as the API will have them. */
function withPodIps(pod: Pod, ips: readonly string[]): Pod {
  if (ips[0] === undefined) return pod;
  return { ...pod, status: { ...pod.status, podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } };
}

/** prepareOrRecord calls deps.prepare; a failure becomes CreateContainerConfigError of the
 *  containers this sync meant to start. */
async function prepareOrRecord(
  input: SyncInput,
  memory: WorkerMemory,
  pod: Pod,
  names: readonly string[],
) {
  try {
    const prepared = await input.deps.prepare(pod);
    clearConfigErrors(memory);
    return prepared;
  } catch (err) {
    const message = errorMessage(err);
    podEvent(input.deps, pod, 'Warning', 'Failed', `Error: ${message}`);
    for (const name of names) {
      memory.startErrors[name] = { reason: 'CreateContainerConfigError', message };
    }
    return undefined;
  }
}

/** clearConfigErrors forgets CreateContainerConfigError once prepare() succeeded. */
function clearConfigErrors(memory: WorkerMemory): void {
  for (const [name, w] of Object.entries(memory.startErrors)) {
    if (w.reason === 'CreateContainerConfigError') delete memory.startErrors[name];
  }
}

/** createSandbox runs a new sandbox (respecting its back-off); its id and IPs, or undefined. */
async function createSandbox(
  input: SyncInput,
  memory: WorkerMemory,
  config: PodSandboxConfig,
): Promise<{ sandboxId: string; podIps: string[] } | undefined> {
  const { deps, pod } = input;
  const nowMs = deps.wallMs();
  const sb = memory.sandboxBackoff;
  if (sb !== undefined && nowMs < sb.atMs + sb.entry.delayMs) return undefined;
  try {
    const res = await deps.cri.runPodSandbox({ config, runtimeHandler: '' });
    const status = await deps.cri.podSandboxStatus({
      podSandboxId: res.podSandboxId,
      verbose: false,
    });
    delete memory.sandboxBackoff;
    if (status.status !== undefined) input.observer.remember(status.status);
    const net = status.status?.network;
    const podIps = net === undefined || net.ip === ''
      ? []
      : [net.ip, ...net.additionalIps.map((p) => p.ip)];
    return { sandboxId: res.podSandboxId, podIps };
  } catch (err) {
    const t = input.tuning;
    const policy = { baseMs: t.backoffBaseMs, maxMs: t.backoffMaxMs };
    memory.sandboxBackoff = { atMs: nowMs, entry: nextBackoff(sb?.entry, nowMs, nowMs, policy) };
    podEvent(deps, pod, 'Warning', 'FailedCreatePodSandBox',
      `Failed to create pod sandbox: ${errorMessage(err)}`);
    return undefined;
  }
}

/** startOne starts one container and records the outcome in memory; its id when it started. */
async function startOne(ctx: StartContext, memory: WorkerMemory, name: string,
  t: PodWorkerTuning): Promise<string | undefined> {
  const c = specOf(ctx.pod, name);
  assert(c !== undefined, `sync: start of unknown container ${name}`);
  const res = await startContainer(ctx, c);
  const image = c.image ?? '';
  if (res.ok) {
    delete memory.startErrors[name];
    delete memory.pullFailures[image];
    return res.containerId;
  }
  memory.startErrors[name] = { reason: res.reason, message: res.message };
  if (res.reason === 'ErrImagePull') {
    const nowMs = ctx.deps.wallMs();
    const prev = memory.pullFailures[image];
    const policy = { baseMs: t.pullBackoffBaseMs, maxMs: t.pullBackoffMaxMs };
    const entry = nextBackoff(prev?.entry, nowMs, nowMs, policy);
    memory.pullFailures[image] = { atMs: nowMs, entry, message: res.message };
  }
  return undefined;
}

/** killAll stops every live container (in parallel, preStop first) and every ready sandbox. */
export async function killAll(deps: PodWorkerDeps, pod: Pod, obs: ObservedPod, graceS: number) {
  const podIp = podIpsOf(pod.spec?.hostNetwork === true, obs, deps.node.ip)[0] ?? '';
  const live = obs.containers.filter((c) => c.state === 'running' || c.state === 'created' ||
    c.state === 'unknown');
  await Promise.all(live.map((instance) => killContainer(deps, pod, {
    instance, spec: specOf(pod, instance.name), podIp, graceSeconds: graceS,
  })));
  for (const sb of obs.sandboxes.filter((s) => s.ready)) {
    try {
      await deps.cri.stopPodSandbox({ podSandboxId: sb.id });
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
    }
  }
}

/** collectGarbage removes dead instances beyond what gc.ts keeps. */
async function collectGarbage(input: SyncInput, obs: ObservedPod): Promise<ObservedPod> {
  const r = selectGarbage(obs);
  if (r.containerIds.length === 0 && r.sandboxIds.length === 0) return obs;
  const { deps, pod } = input;
  for (const id of r.containerIds) {
    await deps.cri.removeContainer({ containerId: id });
    input.observer.forget(id);
  }
  for (const id of r.sandboxIds) {
    await deps.cri.removePodSandbox({ podSandboxId: id });
    input.observer.forget(id);
  }
  podLog(deps, pod, `removed ${r.containerIds.length} dead containers, ` +
    `${r.sandboxIds.length} dead sandboxes`);
  return withoutRemoved(obs, r);
}

/** removeAll deletes every container and sandbox of the pod (after termination). */
export async function removeAll(deps: PodWorkerDeps, observer: PodObserver, obs: ObservedPod) {
  for (const c of obs.containers) {
    await deps.cri.removeContainer({ containerId: c.id });
    observer.forget(c.id);
  }
  for (const s of obs.sandboxes) {
    await deps.cri.removePodSandbox({ podSandboxId: s.id });
    observer.forget(s.id);
  }
}

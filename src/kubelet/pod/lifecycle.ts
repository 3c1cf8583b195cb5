/**
 * Starting and killing one container — the effects the plan asks for, as upstream's
 * startContainer and killContainer do them. Start: image present → CreateContainer →
 * StartContainer → postStart hook; each failure becomes the waiting reason the status shows
 * (ErrImagePull, CreateContainerError, RunContainerError, PostStartHookError). Kill: preStop hook
 * (exec, httpGet or sleep) within the grace period, then StopContainer with what is left of it
 * (at least 2 s, upstream's minimum): the runtime sends SIGTERM, waits, then SIGKILLs.
 */
import type { Container, LifecycleHandler, Pod } from '../../api/core/v1/pod-types.js';
import { isCriNotFound, type PodSandboxConfig } from '../cri/types.js';
import { runHandler } from '../probes/handlers.js';
import { buildContainerConfig } from './cri-config.js';
import { ensureImage, errorMessage, type ImageResult } from './images.js';
import { nextAttempt, type ObservedContainer, type ObservedPod } from './observed.js';
import { podEvent, podLog } from './pod-events.js';
import type { PodWorkerDeps, PreparedPod } from './types.js';

/** Upstream's minimum grace period for StopContainer, in seconds. */
export const MIN_GRACE_SECONDS = 2;

/** StartContext is what starting a container in the pod's current sandbox needs. */
export interface StartContext {
  deps: PodWorkerDeps;
  pod: Pod;
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  prepared: PreparedPod;
  observed: ObservedPod;
  podIp: string;
  /** Image checks started while the sandbox was made, by container name. */
  images?: ReadonlyMap<string, Promise<ImageResult>>;
}

/** StartResult: started, or the waiting reason and message to show. */
export type StartResult =
  | { ok: true; containerId: string }
  | { ok: false; reason: string; message: string };

/** startContainer creates and starts one attempt of c (see the file comment). */
export async function startContainer(ctx: StartContext, c: Container): Promise<StartResult> {
  const { deps, pod } = ctx;
  const image = await (ctx.images?.get(c.name) ?? ensureImage(deps, pod, c, ctx.sandboxConfig));
  if (!image.ok) return { ok: false, reason: image.reason, message: image.message };
  const attempt = nextAttempt(ctx.observed, c.name);
  const config = buildContainerConfig({ pod, container: c, attempt, prepared: ctx.prepared });
  let containerId: string;
  try {
    const res = await deps.cri.createContainer({
      podSandboxId: ctx.sandboxId,
      config,
      sandboxConfig: ctx.sandboxConfig,
    });
    containerId = res.containerId;
  } catch (err) {
    podEvent(deps, pod, 'Warning', 'Failed', `Error: ${errorMessage(err)}`);
    return { ok: false, reason: 'CreateContainerError', message: errorMessage(err) };
  }
  deps.trace?.(pod, 'created');
  podEvent(deps, pod, 'Normal', 'Created', `Created container ${c.name}`);
  try {
    await deps.cri.startContainer({ containerId });
  } catch (err) {
    podEvent(deps, pod, 'Warning', 'Failed', `Error: ${errorMessage(err)}`);
    return { ok: false, reason: 'RunContainerError', message: errorMessage(err) };
  }
  deps.trace?.(pod, 'started');
  podEvent(deps, pod, 'Normal', 'Started', `Started container ${c.name}`);
  return runPostStart(ctx, c, containerId);
}

/** runPostStart runs the postStart hook; a failure kills the container. */
async function runPostStart(ctx: StartContext, c: Container, containerId: string) {
  const hook = c.lifecycle?.postStart;
  if (hook === undefined) return { ok: true as const, containerId };
  const graceS = ctx.pod.spec?.terminationGracePeriodSeconds ?? 30;
  const failure = await runHook(ctx.deps, hook, c, containerId, ctx.podIp, graceS * 1000);
  if (failure === undefined) return { ok: true as const, containerId };
  const message = `PostStartHook failed: ${failure}`;
  podEvent(ctx.deps, ctx.pod, 'Warning', 'FailedPostStartHook', message);
  await stopQuietly(ctx.deps, ctx.pod, containerId, graceS);
  return { ok: false as const, reason: 'PostStartHookError', message };
}

/** runHook runs a lifecycle handler within budgetMs; returns the failure text or undefined. */
export async function runHook(
  deps: PodWorkerDeps,
  hook: LifecycleHandler,
  c: Container,
  containerId: string,
  podIp: string,
  budgetMs: number,
): Promise<string | undefined> {
  if (hook.sleep !== undefined) {
    const ms = Math.min(Math.max(0, hook.sleep.seconds) * 1000, budgetMs);
    await new Promise<void>((resolve) => deps.clock.setTimeout(resolve, ms));
    return undefined;
  }
  const target = { cri: deps.cri, clock: deps.clock, containerId, container: c, podIp };
  const out = await runHandler(hook, target, Math.max(1000, budgetMs));
  return out.ok ? undefined : out.output;
}

/** stopQuietly stops a container; one that is already gone is fine. */
async function stopQuietly(deps: PodWorkerDeps, pod: Pod, id: string, timeoutS: number) {
  try {
    await deps.cri.stopContainer({ containerId: id, timeout: BigInt(timeoutS) });
  } catch (err) {
    if (!isCriNotFound(err)) podLog(deps, pod, `stop container ${id}: ${errorMessage(err)}`);
  }
}

/** KillRequest is one container to kill and why. */
export interface KillRequest {
  instance: ObservedContainer;
  spec: Container | undefined;
  graceSeconds: number;
  /** Event text; default "Stopping container <name>". */
  message?: string;
  podIp: string;
}

/** killContainer runs preStop (running containers only), then stops with the grace left. */
export async function killContainer(deps: PodWorkerDeps, pod: Pod, k: KillRequest) {
  const name = k.instance.name;
  podEvent(deps, pod, 'Normal', 'Killing', k.message ?? `Stopping container ${name}`);
  const startMs = deps.clock.nowMs();
  const preStop = k.spec?.lifecycle?.preStop;
  if (preStop !== undefined && k.spec !== undefined && k.instance.state === 'running') {
    const failure = await runHook(deps, preStop, k.spec, k.instance.id, k.podIp,
      k.graceSeconds * 1000);
    if (failure !== undefined) {
      podEvent(deps, pod, 'Warning', 'FailedPreStopHook',
        `PreStopHook failed for container "${name}": ${failure}`);
    }
  }
  const usedS = Math.ceil((deps.clock.nowMs() - startMs) / 1000);
  const leftS = Math.max(MIN_GRACE_SECONDS, k.graceSeconds - usedS);
  await stopQuietly(deps, pod, k.instance.id, leftS);
}

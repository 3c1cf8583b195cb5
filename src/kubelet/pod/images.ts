/**
 * Making a container's image present before CreateContainer, as the kubelet's image manager
 * does: ImageStatus first, PullImage only when the image is absent and the pull policy allows.
 * An image the runtime already has is never pulled, whatever the policy — images on k8ts nodes
 * are imported locally, and containerd's PullImage always goes to the registry even for a local
 * image (pitfall P3 in shared/reference/container-runtimes.md), so "Always" would break every
 * locally imported image. Failures come back as the waiting reason the status shows
 * (ErrImagePull, ErrImageNeverPull) with the runtime's message. With deps.images the node's
 * workers share those calls (image-checks.ts); each pod still gets its own events.
 */
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import type { PodSandboxConfig } from '../cri/types.js';
import { imageSpecOf } from './image-checks.js';
import { podEvent } from './pod-events.js';
import type { PodWorkerDeps } from './types.js';

/** ImageResult: the image is there (with its ref), or why the container must wait. */
export type ImageResult =
  | { ok: true; imageRef: string }
  | { ok: false; reason: 'ErrImagePull' | 'ErrImageNeverPull'; message: string };

/** pullPolicyOf defaults imagePullPolicy as the API does (":latest" or no tag → Always). */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy !== undefined) return c.imagePullPolicy;
  const image = c.image ?? '';
  const lastPart = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** errorMessage extracts a message from anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ensureImage makes c's image present (see the file comment). */
export async function ensureImage(
  deps: PodWorkerDeps,
  pod: Pod,
  c: Container,
  sandboxConfig: PodSandboxConfig,
): Promise<ImageResult> {
  const image = c.image ?? '';
  const spec = imageSpecOf(image);
  const status = deps.images !== undefined ? await deps.images.status(image)
    : await deps.cri.imageStatus({ image: spec, verbose: false });
  if (status.image !== undefined) {
    podEvent(deps, pod, 'Normal', 'Pulled',
      `Container image "${image}" already present on machine`);
    return { ok: true, imageRef: status.image.id };
  }
  if (pullPolicyOf(c) === 'Never') {
    const message = `Container image "${image}" is not present with pull policy of Never`;
    podEvent(deps, pod, 'Warning', 'ErrImageNeverPull', message);
    return { ok: false, reason: 'ErrImageNeverPull', message };
  }
  podEvent(deps, pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
  const startMs = deps.clock.nowMs();
  try {
    const res = deps.images !== undefined ? await deps.images.pull(image, sandboxConfig)
      : await deps.cri.pullImage({ image: spec, sandboxConfig });
    const tookS = ((deps.clock.nowMs() - startMs) / 1000).toFixed(3);
    podEvent(deps, pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${tookS}s`);
    return { ok: true, imageRef: res.imageRef };
  } catch (err) {
    const message = `Failed to pull image "${image}": ${errorMessage(err)}`;
    podEvent(deps, pod, 'Warning', 'Failed', message);
    podEvent(deps, pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    return { ok: false, reason: 'ErrImagePull', message };
  }
}

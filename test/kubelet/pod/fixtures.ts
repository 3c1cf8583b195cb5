/**
 * Builders for pod worker tests: pods, observed sandboxes and container instances written by
 * hand, so plan and status tests read as tables of situations.
 */
import type { Container, Pod, RestartPolicy } from '../../../src/api/core/v1/pod-types.js';
import { containerSpecHash } from '../../../src/kubelet/pod/container-hash.js';
import type {
  ObservedContainer,
  ObservedPod,
  ObservedSandbox,
} from '../../../src/kubelet/pod/observed.js';
import type { PlanInput, PlanTuning } from '../../../src/kubelet/pod/plan.js';

/** T0 is an arbitrary wall time tests count from. */
export const T0 = 1_700_000_000_000;

/** TUNING: small, round numbers. */
export const TUNING: PlanTuning = { backoffBaseMs: 10_000, backoffMaxMs: 300_000,
  backoffResetMs: 600_000 };

/** makePod builds a pod with the given containers. */
export function makePod(o: {
  containers?: Container[];
  init?: Container[];
  restartPolicy?: RestartPolicy;
}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: {
      containers: o.containers ?? [{ name: 'app', image: 'busybox:1' }],
      ...(o.init !== undefined ? { initContainers: o.init } : {}),
      restartPolicy: o.restartPolicy ?? 'Always',
    },
  };
}

/** sandbox builds an observed sandbox. */
export function sandbox(o: Partial<ObservedSandbox> = {}): ObservedSandbox {
  return { id: 'sb0', attempt: 0, ready: true, createdAtMs: T0, ips: ['127.0.3.1'], ...o };
}

/** Counter for unique instance ids. */
let seq = 0;

/** inst builds an observed container instance of spec container c (hash matches c). */
export function inst(
  c: Container,
  o: Partial<ObservedContainer> & { state: ObservedContainer['state'] },
): ObservedContainer {
  seq++;
  return {
    id: `c${seq}`,
    name: c.name,
    attempt: 0,
    sandboxId: 'sb0',
    createdAtMs: T0,
    startedAtMs: o.state === 'created' ? 0 : T0 + 100,
    finishedAtMs: o.state === 'exited' ? T0 + 1000 : 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: c.image ?? '',
    imageRef: 'sha256:abc',
    specHash: containerSpecHash(c),
    logPath: '',
    ...o,
  };
}

/** observed bundles sandboxes and containers. */
export function observed(sandboxes: ObservedSandbox[], containers: ObservedContainer[] = []) {
  return { sandboxes, containers } satisfies ObservedPod;
}

/** planInput fills the defaults of a PlanInput. */
export function planInput(pod: Pod, obs: ObservedPod, o: Partial<PlanInput> = {}): PlanInput {
  return {
    pod,
    observed: obs,
    nowMs: T0 + 2000,
    crashBackoff: {},
    pullFailures: {},
    probeKills: {},
    tuning: TUNING,
    ...o,
  };
}

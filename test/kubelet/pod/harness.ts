/**
 * A pod worker against the real process runtime, through its CRI socket as the kubelet talks
 * to it: a temp dir, the runtime, a client, deps that record statuses and events, and cleanup
 * that stops every worker and removes every pod even when a test failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, type Actor } from 'xstate';
import type { EnvVar, Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { connectCri, type CriClient } from '../../../src/kubelet/cri/client.js';
import { podWorkerMachine } from '../../../src/kubelet/pod/actor.js';
import type {
  PodWorkerDeps,
  PodWorkerTuning,
  PreparedPod,
} from '../../../src/kubelet/pod/types.js';
import {
  startProcessRuntime,
  type ProcessRuntimeHandle,
} from '../../../src/runtime/process/server.js';
import { eventually as poll } from '../../support/poll.js';

/** FAST: back-offs and polls shrunk so a crash loop takes a second, not minutes. */
export const FAST: Partial<PodWorkerTuning> = {
  backoffBaseMs: 200,
  backoffMaxMs: 800,
  backoffResetMs: 60_000,
  pullBackoffBaseMs: 200,
  pullBackoffMaxMs: 800,
  runningPollMs: 100,
  resyncMs: 200,
};

/** RecordedEvent is one event a worker recorded. */
export interface RecordedEvent {
  uid: string;
  type: string;
  reason: string;
  message: string;
}

/** Harness is one runtime plus the workers a test started. */
export interface Harness {
  dir: string;
  cri: CriClient;
  /** Reported statuses by pod uid, oldest first. */
  statuses: Map<string, PodStatus[]>;
  events: RecordedEvent[];
  /** prepare() rejects with this message for a pod uid while set (a missing ConfigMap). */
  prepareErrors: Map<string, string>;
  deps: PodWorkerDeps;
  start(pod: Pod): Actor<typeof podWorkerMachine>;
  /** latest is the newest status reported for pod. */
  latest(pod: Pod): PodStatus;
  close(): Promise<void>;
}

/** prepareFor resolves nothing from an API: env values as written, a fieldRef to
 *  status.podIP from the pod's status (as the kubelet's prepare does), no mounts. */
function prepareFor(dir: string) {
  return async (pod: Pod): Promise<PreparedPod> => {
    const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const value = (e: EnvVar): string =>
      e.valueFrom?.fieldRef?.fieldPath === 'status.podIP' ? pod.status?.podIP ?? '' : e.value ?? '';
    return {
      containers: Object.fromEntries(all.map((c) => [c.name, {
        env: (c.env ?? []).map((e) => ({ key: e.name, value: value(e) })),
        mounts: [],
      }])),
      dnsConfig: { servers: ['127.0.0.53'], searches: ['default.svc.cluster.local'], options: [] },
      hostname: pod.metadata.name ?? 'pod',
      logDirectory: join(dir, 'logs', pod.metadata.uid ?? 'x'),
    };
  };
}

/** startHarness starts a process runtime in a temp dir. */
export async function startHarness(podCidr: string): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-pod-worker-'));
  let handle: ProcessRuntimeHandle | undefined;
  let cri: CriClient | undefined;
  try {
    const socketPath = join(dir, 'cri.sock');
    handle = await startProcessRuntime({
      stateDir: join(dir, 'state'), podCidr, socketPath, clock: systemClock,
    });
    cri = connectCri(socketPath);
  } catch (err) {
    cri?.close();
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return harnessOver(dir, handle, cri);
}

/** harnessOver wires deps and the cleanup. */
function harnessOver(dir: string, handle: ProcessRuntimeHandle, cri: CriClient): Harness {
  const statuses = new Map<string, PodStatus[]>();
  const events: RecordedEvent[] = [];
  const actors: Actor<typeof podWorkerMachine>[] = [];
  const prepareErrors = new Map<string, string>();
  const prepare = prepareFor(dir);
  const deps: PodWorkerDeps = {
    cri,
    clock: systemClock,
    wallMs: systemWallMs,
    node: { name: 'node-1', ip: '127.0.0.1' },
    prepare: async (pod) => {
      const err = prepareErrors.get(pod.metadata.uid ?? '');
      if (err !== undefined) throw new Error(err);
      return prepare(pod);
    },
    reportStatus: (pod, status) => {
      const uid = pod.metadata.uid ?? '';
      statuses.set(uid, [...(statuses.get(uid) ?? []), status]);
    },
    events: {
      event: (o: KubeObject, type, reason, message) =>
        void events.push({ uid: o.metadata.uid ?? '', type, reason, message }),
    },
  };
  return {
    dir, cri, statuses, events, deps, prepareErrors,
    start(pod) {
      const actor = createActor(podWorkerMachine, {
        input: { pod, deps, tuning: FAST, runtimeName: 'k8ts-process' },
      });
      actors.push(actor);
      actor.start();
      return actor;
    },
    latest(pod) {
      const s = statuses.get(pod.metadata.uid ?? '')?.at(-1);
      if (s === undefined) throw new Error('no status reported yet');
      return s;
    },
    async close() {
      for (const a of actors) a.stop();
      await removeEverything(cri);
      cri.close();
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** removeEverything stops and removes every sandbox the runtime has (test cleanup). */
async function removeEverything(cri: CriClient): Promise<void> {
  const { items } = await cri.listPodSandbox({});
  for (const sb of items) {
    await cri.stopPodSandbox({ podSandboxId: sb.id }).catch(() => undefined);
    await cri.removePodSandbox({ podSandboxId: sb.id }).catch(() => undefined);
  }
}

/** eventually polls fn until it stops throwing, or rethrows its last error after timeoutMs. */
export function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  return poll(fn, timeoutMs);
}

/** makeTestPod builds a pod with a fresh uid. */
let podSeq = 0;
export function makeTestPod(name: string, spec: Pod['spec']): Pod {
  podSeq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${process.pid}-${podSeq}` },
    spec,
  };
}

/**
 * The seam between the pod worker (one XState actor per pod, src/kubelet/pod/actor.ts) and the
 * rest of the kubelet (owner "node"). The node side resolves everything that needs the API or
 * the disk (env from ConfigMaps/Secrets, volumes, DNS, log directory) into a PreparedPod; the pod
 * worker turns that plus the pod spec into CRI calls and reports the pod's status back. Keeping
 * API access out of the worker lets it run unchanged against any CriRuntime, hollow ones too.
 */
import type { Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import type { Clock } from '../../base/clock.js';
import type { EventRecorder } from '../../client/events/types.js';
import type { CriRuntime } from '../cri/types.js';
import type { ObservedPod } from './observed.js';
import type { ImageChecks } from './image-checks.js';

/** KeyValue is a CRI KeyValue (an environment variable as the runtime receives it). */
export interface KeyValue {
  key: string;
  value: string;
}

/** MountPropagationMode is the CRI MountPropagation enum in words (default "private"). */
export type MountPropagationMode = 'private' | 'hostToContainer' | 'bidirectional';

/**
 * PreparedMount is shaped like a CRI Mount: hostPath is a path the node prepared (an emptyDir
 * folder, a projected configMap, a hostPath...) and containerPath where the container sees it.
 */
export interface PreparedMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  propagation?: MountPropagationMode;
}

/** PreparedContainer is what the node resolved for one (init or regular) container. */
export interface PreparedContainer {
  /** Fully resolved environment, in the order the container should see it (later wins). */
  env: KeyValue[];
  mounts: PreparedMount[];
}

/** PreparedDnsConfig is a CRI DNSConfig: always passed, so no pod ever reads the host's. */
export interface PreparedDnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/**
 * PreparedPod is everything the node resolves before the worker creates the sandbox or starts
 * containers. prepare() is called by every sync that creates a sandbox or starts a container,
 * so a ConfigMap created late lets a pod that waited on it proceed.
 */
export interface PreparedPod {
  /** Keyed by container name; init containers included. */
  containers: Record<string, PreparedContainer>;
  dnsConfig: PreparedDnsConfig;
  hostname: string;
  /** Absolute; CRI log paths ("<container>/<attempt>.log") are relative to it. */
  logDirectory: string;
}

/**
 * PodWorkerDeps are the pod worker's only ways to touch the world. Every CRI call goes through
 * cri (over the socket in production); clock drives timers (monotonic), wallMs gives calendar
 * time for status timestamps and CRI timestamp arithmetic.
 */
export interface PodWorkerDeps {
  cri: CriRuntime;
  clock: Clock;
  wallMs(): number;
  node: { name: string; ip: string };
  /** Resolves env, mounts, DNS and the log directory; a rejection is reported as the waiting
   *  reason CreateContainerConfigError with the error's message, and retried on the next sync.
   *  Called before a sandbox is created (for DNS, hostname, log directory) and, when the pod's
   *  downward API reads status.podIP/podIPs (env POD_IP from status.podIP), again before its
   *  containers start, with those set to the sandbox's IPs (sync.ts readsPodIps); a sync that
   *  starts containers in an existing sandbox calls it once, with the IPs set. */
  prepare(pod: Pod): Promise<PreparedPod>;
  /** Hands a changed status to the status manager; called only when the status changed. */
  reportStatus(pod: Pod, status: PodStatus): void;
  log?(line: string): void;
  /** Pod events (Pulling, Created, Started, Killing, Unhealthy, BackOff...); best effort. */
  events?: EventRecorder;
  /** The node relists the runtime and wakes a worker whose pod changed (pleg/relister.ts):
   *  each sync's final observation is reported here, and a running pod then waits resyncMs
   *  instead of polling every runningPollMs. Absent: the worker polls. startsEmpty tells a
   *  new worker that the runtime holds nothing of its pod yet (its first sync lists nothing). */
  relist?: { seen(uid: string, observed: ObservedPod): void; startsEmpty?(uid: string): boolean };
  /** Stamps steps of a pod's start (src/base/timeline.ts); absent unless that is on. */
  trace?(pod: Pod, stage: string): void;
  /** The node's shared ImageStatus/PullImage calls (image-checks.ts); absent: each worker
   *  asks the runtime itself. */
  images?: Pick<ImageChecks, 'status' | 'pull'>;
}

/**
 * PodWorkerTuning are the worker's timing knobs. Defaults are upstream's; tests and the hollow
 * kubelet shrink or stretch them.
 */
export interface PodWorkerTuning {
  /** CrashLoopBackOff: first delay (upstream 10 s), doubled per crash... */
  backoffBaseMs: number;
  /** ...up to this (upstream 300 s). */
  backoffMaxMs: number;
  /** A container that ran at least this long before exiting starts over at the base delay. */
  backoffResetMs: number;
  /** Image pull back-off (ErrImagePull → ImagePullBackOff): first delay and cap. */
  pullBackoffBaseMs: number;
  pullBackoffMaxMs: number;
  /** Sync period while any container runs: how soon an exited container is noticed. */
  runningPollMs: number;
  /** Sync period otherwise (upstream's resync, 10 s by default here). */
  resyncMs: number;
}

/** DEFAULT_POD_WORKER_TUNING is upstream's timing (10 s → 300 s backoff, reset after 10 min). */
export const DEFAULT_POD_WORKER_TUNING: PodWorkerTuning = {
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  backoffResetMs: 600_000,
  pullBackoffBaseMs: 10_000,
  pullBackoffMaxMs: 300_000,
  runningPollMs: 1_000,
  resyncMs: 10_000,
};

/** PodWorkerInput starts one worker: the pod as first seen, its deps and optional tuning. */
export interface PodWorkerInput {
  pod: Pod;
  deps: PodWorkerDeps;
  tuning?: Partial<PodWorkerTuning>;
  /** Prefix of containerIDs in the status ("containerd://<id>"): VersionResponse.runtimeName
   *  of the node's runtime. Default "cri". */
  runtimeName?: string;
}

/**
 * PodWorkerEvent is what the node sends a worker:
 * - POD_UPDATED: a newer pod object from the API (or the static manifest);
 * - RUNTIME_CHANGED: the node's relist saw the pod's instances change (a waiting worker syncs);
 * - POD_DELETED: the API marked it for deletion (deletionTimestamp set); the worker kills it
 *   with gracePeriodSeconds (else metadata.deletionGracePeriodSeconds, else the spec's
 *   terminationGracePeriodSeconds, else 30) and removes everything; a later POD_DELETED with a
 *   shorter grace period (a forced deletion) shortens the stop under way;
 * - TERMINATE: the node asks for termination for its own reasons (shutdown, the pod vanished
 *   from its source); the worker kills and removes everything but the API object stays.
 */
export type PodWorkerEvent =
  | { type: 'POD_UPDATED'; pod: Pod }
  | { type: 'RUNTIME_CHANGED' }
  | { type: 'POD_DELETED'; pod?: Pod; gracePeriodSeconds?: number }
  | { type: 'TERMINATE'; gracePeriodSeconds?: number; reason: string };

/**
 * PodWorkerOutput is the worker's done output, once every container and the sandbox are
 * removed. When deleted is true the node deletes the pod object with grace period 0 (as the
 * kubelet's status manager does once a deleted pod's containers are gone).
 */
export interface PodWorkerOutput {
  uid: string;
  deleted: boolean;
  /** The last status reported (all containers terminated). */
  finalStatus: PodStatus;
}

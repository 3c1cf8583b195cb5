/**
 * The dispatcher (upstream's podWorkers + HandlePod* of the kubelet): one pod worker per pod uid,
 * fed the pod manager's changes in order. A new pod is admitted first (admission.ts) and either
 * gets a worker or is failed with the rejection's reason. A pod marked for deletion gets
 * POD_DELETED; a pod gone from its source gets TERMINATE. When a worker is done, its pod's
 * leftovers are released (status, volumes), and a deleted API pod's object is removed with
 * grace period 0 and a uid precondition — only a kubelet that has stopped everything may say
 * the pod is gone.
 */
import type { Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import type { PodWorkerEvent, PodWorkerOutput } from '../pod/types.js';
import type { PodChange } from '../sources/pod-manager.js';
import { fullName, isStaticPod } from '../sources/static-pods.js';
import { rejectedStatus, type AdmitResult } from './admission.js';

/** WorkerHandle: a running pod worker, however it is implemented (the XState pod actor). */
export interface WorkerHandle {
  send(e: PodWorkerEvent): void;
  /** Resolves with the worker's output once everything of the pod is removed. */
  done: Promise<PodWorkerOutput>;
  /** stop ends the worker without touching its containers (kubelet shutdown). */
  stop(): void;
}

/** DispatcherDeps: how to start workers and what to do around them. */
export interface DispatcherDeps {
  startWorker(pod: Pod): WorkerHandle;
  admit(pod: Pod, admitted: readonly Pod[]): AdmitResult;
  /** The status manager's reportStatus (a rejected pod's Failed status). */
  reportStatus(pod: Pod, status: PodStatus): void;
  /** Deletes the API object: grace period 0, uid precondition. */
  deletePod(pod: Pod): Promise<void>;
  /** The worker is done: forget the pod's status, tear its volumes down. */
  released(pod: Pod): Promise<void>;
  log(line: string): void;
}

interface Entry {
  handle: WorkerHandle;
  pod: Pod;
  /** The object admission judged (see admittedPods). */
  admitted: Pod;
  deleteSent: boolean;
  terminateSent: boolean;
}

/** DONE_REMEMBERED bounds the uids remembered as finished or rejected. */
export const DONE_REMEMBERED = 10_000;

/** Dispatcher routes pod changes to per-pod workers. */
export class Dispatcher {
  private readonly workers = new Map<string, Entry>();
  /** uids whose worker ended (or that were rejected): never started again. */
  private readonly finished = new Set<string>();
  private stopped = false;
  /** Cleanups and deletions in flight (stop() waits for them). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: DispatcherDeps) {}

  /** apply acts on one change from the pod manager. */
  apply(c: PodChange): void {
    if (this.stopped) return;
    const uid = c.pod.metadata.uid ?? '';
    assert(uid !== '', 'dispatcher: pod without uid');
    const e = this.workers.get(uid);
    if (c.type === 'REMOVE') {
      if (e !== undefined && !e.terminateSent && !e.deleteSent) {
        e.terminateSent = true;
        e.handle.send({ type: 'TERMINATE', reason: c.reason });
      }
      return;
    }
    const pod = c.pod;
    if (e !== undefined) {
      e.pod = pod;
      if (pod.metadata.deletionTimestamp !== undefined) this.sendDeleted(e, pod);
      else if (!e.deleteSent && !e.terminateSent) e.handle.send({ type: 'POD_UPDATED', pod });
      return;
    }
    this.startFor(pod, uid);
  }

  private startFor(pod: Pod, uid: string): void {
    const deleting = pod.metadata.deletionTimestamp !== undefined;
    if (this.finished.has(uid)) {
      // Nothing of it runs any more: a deleted pod only needs its object removed.
      if (deleting && !isStaticPod(pod)) this.track(this.deleteQuietly(pod));
      return;
    }
    if (!deleting) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return;
      const verdict = this.d.admit(pod, this.admittedPods());
      if (!verdict.admit) {
        this.d.log(`pod ${fullName(pod)} rejected: ${verdict.reason}: ${verdict.message}`);
        this.remember(uid);
        this.d.reportStatus(pod, { ...pod.status, ...rejectedStatus(verdict) });
        return;
      }
    }
    const handle = this.d.startWorker(pod);
    const entry: Entry = { handle, pod, admitted: pod, deleteSent: false, terminateSent: false };
    this.workers.set(uid, entry);
    // A pod already being deleted (seen first after a kubelet restart) still gets a worker:
    // containers of an earlier run may be left to stop.
    if (deleting) this.sendDeleted(entry, pod);
    // Not tracked: a worker stopped at shutdown never ends; onDone tracks its own writes.
    void handle.done.then((out) => this.onDone(uid, out), (err: unknown) => {
      this.d.log(`pod ${fullName(pod)}: worker failed: ${String(err)}`);
      return this.onDone(uid, undefined);
    });
  }

  private sendDeleted(e: Entry, pod: Pod): void {
    if (e.deleteSent) return;
    e.deleteSent = true;
    e.handle.send({ type: 'POD_DELETED', pod });
  }

  private onDone(uid: string, out: PodWorkerOutput | undefined): void {
    const e = this.workers.get(uid);
    if (e === undefined) return;
    this.workers.delete(uid);
    this.remember(uid);
    if (this.stopped) return;
    this.track(this.cleanUp(e, out));
  }

  /** cleanUp releases a finished pod's leftovers and deletes its object when it was deleted. */
  private async cleanUp(e: Entry, out: PodWorkerOutput | undefined): Promise<void> {
    try {
      await this.d.released(e.pod);
    } catch (err) {
      this.d.log(`pod ${fullName(e.pod)}: cleanup failed: ${String(err)}`);
    }
    const deleted = out?.deleted ?? e.deleteSent;
    if (deleted && !isStaticPod(e.pod)) await this.deleteQuietly(e.pod);
  }

  private async deleteQuietly(pod: Pod): Promise<void> {
    try {
      await this.d.deletePod(pod);
    } catch (err) {
      this.d.log(`pod ${fullName(pod)}: delete failed: ${String(err)}`);
    }
  }

  private remember(uid: string): void {
    if (this.finished.size >= DONE_REMEMBERED) {
      const oldest = this.finished.values().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
    this.finished.add(uid);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** activePods: the pods with a worker that is not terminating, as they are now. */
  activePods(): Pod[] {
    return [...this.workers.values()].filter((e) => !e.deleteSent && !e.terminateSent)
      .map((e) => e.pod);
  }

  /**
   * admittedPods: the same pods as admission judged them (what a new pod is admitted next to).
   * What admission reads of them — requests, host ports — does not change with an update, and
   * the same objects let admission's per-object memo of requests hit: every status write comes
   * back through the watch as a new object, so with the current objects a burst of n pods
   * summed the requests of up to n²/2 pods afresh (node-burst-micro heap profile, 100 pods:
   * admission ~6 KiB allocated per pod).
   */
  admittedPods(): Pod[] {
    const out: Pod[] = [];
    for (const e of this.workers.values()) {
      if (!e.deleteSent && !e.terminateSent) out.push(e.admitted);
    }
    return out;
  }

  /** workerUids: the uids with a worker (housekeeping leaves their runtime state alone). */
  workerUids(): string[] {
    return [...this.workers.keys()];
  }

  /** wake tells uid's worker its pod's runtime state changed (not one that is ending). */
  wake(uid: string): void {
    const e = this.workers.get(uid);
    if (e !== undefined && !e.deleteSent && !e.terminateSent) {
      e.handle.send({ type: 'RUNTIME_CHANGED' });
    }
  }

  /** has: a worker runs for uid. */
  has(uid: string): boolean {
    return this.workers.has(uid);
  }

  /**
   * stop ends every worker WITHOUT stopping containers, as upstream's kubelet leaves them
   * running on shutdown: a restarted kubelet finds them through the runtime and adopts them.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.workers.values()) e.handle.stop();
    this.workers.clear();
    await Promise.allSettled([...this.pending]);
  }

  /** terminateAll asks every worker to stop its pod (a node drain; not used on shutdown). */
  terminateAll(reason: string): void {
    for (const e of this.workers.values()) {
      if (e.terminateSent || e.deleteSent) continue;
      e.terminateSent = true;
      e.handle.send({ type: 'TERMINATE', reason });
    }
  }
}

/**
 * The status manager (upstream's pkg/kubelet/status): pod workers report statuses here and
 * never wait; this writes them to pods/status. Per pod only the newest report counts (reports
 * in between are folded), writes go out a few at a time, a failed write is retried with a
 * doubling delay (bounded attempts; the periodic resync tries again later), and a write only
 * happens when the API's status differs. Writes are updates carrying the resourceVersion of the
 * object read, so a pod replaced under the same name (another uid) is never written: its uid is
 * checked on that same read. A static pod's status goes to its mirror pod.
 */
import type { Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import { isStatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { ComponentApi } from '../../client/component-api.js';
import { PODS } from '../resources.js';
import { PODS_MAX } from '../sources/pod-manager.js';
import {
  CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, fullName, isStaticPod,
} from '../sources/static-pods.js';
import { mergeStatus, sameStatus } from './merge.js';

/** STATUS_LIMITS: every queue and retry is bounded. */
export const STATUS_LIMITS = {
  /** Writes in flight at once. */
  inFlightMax: 8,
  /** Attempts per report before waiting for the resync. */
  attemptsMax: 8,
  retryBaseMs: 100,
  retryMaxMs: 5_000,
  /** Every this often, pods whose newest report is not confirmed written are retried. */
  resyncMs: 10_000,
} as const;

/** StatusManagerDeps: the API, a cache to read pods from, time. */
export interface StatusManagerDeps {
  api: ComponentApi;
  /** The informer's copy of an API pod (mirror pods included); may be stale. */
  cached(namespace: string, name: string): Pod | undefined;
  clock: Clock;
  log(line: string): void;
  /** Stamps a status write sent and answered (src/base/timeline.ts); absent unless on. */
  trace?(pod: Pod, stage: string): void;
}

interface Entry {
  pod: Pod;
  status: PodStatus;
  version: number;
  written: number;
  attempts: number;
  retry: Timer | undefined;
}

/** StatusManager: reportStatus in, pods/status writes out. */
export class StatusManager {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private readonly busy = new Set<string>();
  /** Pods forgotten while a write was queued or in flight: dropped after it. */
  private readonly forgetting = new Set<string>();
  private resync: Timer | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly d: StatusManagerDeps) {}

  /** start runs the periodic resync. */
  start(): void {
    this.resync = this.d.clock.setInterval(() => this.resyncAll(), STATUS_LIMITS.resyncMs);
  }

  /** stop ends timers; writes in flight finish on their own. */
  stop(): void {
    this.stopped = true;
    this.resync?.cancel();
    for (const e of this.entries.values()) e.retry?.cancel();
  }

  /** reportStatus records the newest status of pod and schedules its write. Never blocks. */
  reportStatus(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata.uid ?? '';
    assert(uid !== '', 'status manager: pod without uid');
    let e = this.entries.get(uid);
    if (e === undefined) {
      assert(this.entries.size < PODS_MAX, 'status manager: too many pods');
      e = { pod, status, version: 0, written: 0, attempts: 0, retry: undefined };
      this.entries.set(uid, e);
    }
    e.pod = pod;
    // Kept as given, not copied: a reported status is a value its reporter built for the
    // report (generatePodStatus, rejectedStatus) and nobody changes it afterwards; a deep copy
    // per report (structuredClone) was ~1 % of a kubelet's sampled time in a 100-pod burst.
    e.status = status;
    e.version++;
    e.attempts = 0;
    this.enqueue(uid);
  }

  /** statusOf: the newest status reported for uid (for the kubelet's own readers). */
  statusOf(uid: string): PodStatus | undefined {
    return this.entries.get(uid)?.status;
  }

  /** forget drops a pod whose worker is done (its last status has been queued already). */
  forget(uid: string): void {
    const e = this.entries.get(uid);
    if (e === undefined) return;
    if (this.busy.has(uid) || this.dirty.has(uid)) {
      // Let the final write go out first; the entry is dropped once it is written.
      this.forgetting.add(uid);
      return;
    }
    e.retry?.cancel();
    this.entries.delete(uid);
  }

  /** kick retries a pod now (its mirror pod appeared). */
  kick(uid: string): void {
    const e = this.entries.get(uid);
    if (e === undefined || e.written === e.version) return;
    e.attempts = 0;
    this.enqueue(uid);
  }

  /** pending: pods with a status write queued or in flight (a busy signal: two sizes). */
  get pending(): number {
    return this.dirty.size + this.busy.size;
  }

  /** idle resolves when nothing is queued or being written (tests). */
  idle(): Promise<void> {
    if (this.dirty.size === 0 && this.busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private resyncAll(): void {
    for (const [uid, e] of this.entries) {
      if (e.written !== e.version && e.retry === undefined) {
        e.attempts = 0;
        this.enqueue(uid);
      }
    }
  }

  private enqueue(uid: string): void {
    if (this.stopped) return;
    this.dirty.add(uid);
    this.pump();
  }

  private pump(): void {
    for (const uid of this.dirty) {
      if (this.busy.size >= STATUS_LIMITS.inFlightMax) return;
      if (this.busy.has(uid)) continue;
      this.dirty.delete(uid);
      const e = this.entries.get(uid);
      if (e === undefined) continue;
      this.busy.add(uid);
      void this.writeOnce(uid, e).finally(() => {
        this.busy.delete(uid);
        this.afterWrite(uid, e);
        this.pump();
        if (this.dirty.size === 0 && this.busy.size === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  private afterWrite(uid: string, e: Entry): void {
    if (this.forgetting.has(uid) && !this.dirty.has(uid)) {
      this.forgetting.delete(uid);
      e.retry?.cancel();
      this.entries.delete(uid);
    }
  }

  /** writeOnce tries to write e's newest status; on failure schedules a retry. */
  private async writeOnce(uid: string, e: Entry): Promise<void> {
    const version = e.version;
    try {
      if (await this.writeWithReread(e)) e.written = Math.max(e.written, version);
    } catch (err) {
      if (isStatusError(err) && err.code === 404) {
        e.written = Math.max(e.written, version); // the pod is gone: nothing to write to
        return;
      }
      this.scheduleRetry(uid, e, err);
    }
  }

  /** writeWithReread: from the cache first; a conflict (stale cache) re-reads the API once. */
  private async writeWithReread(e: Entry): Promise<boolean> {
    try {
      return await this.write(e, false);
    } catch (err) {
      if (!isStatusError(err) || err.code !== 409) throw err;
      return this.write(e, true);
    }
  }

  private scheduleRetry(uid: string, e: Entry, err: unknown): void {
    e.attempts++;
    if (e.attempts >= STATUS_LIMITS.attemptsMax || this.stopped) {
      this.d.log(`status of ${fullName(e.pod)}: giving up until the resync: ${String(err)}`);
      return;
    }
    const delayMs = Math.min(STATUS_LIMITS.retryMaxMs,
      STATUS_LIMITS.retryBaseMs * 2 ** (e.attempts - 1));
    e.retry?.cancel();
    e.retry = this.d.clock.setTimeout(() => {
      e.retry = undefined;
      this.enqueue(uid);
    }, delayMs);
  }

  /**
   * write: read the target (cache, or the API when fresh), merge, and update if different.
   * Returns false when there is nothing to write to yet (a static pod without mirror pod);
   * true when written, not needed, or the pod is gone or replaced (nothing to write to, ever).
   */
  private async write(e: Entry, fresh: boolean): Promise<boolean> {
    const target = await this.target(e.pod, fresh);
    if (target === 'gone') return true;
    if (target === undefined) return false;
    const merged = mergeStatus(target.status, e.status);
    if (merged === undefined || sameStatus(target.status, merged)) return true;
    const ns = target.metadata.namespace ?? '';
    this.d.trace?.(e.pod, `write:${merged.phase ?? ''}`);
    // The answer is not read: it comes without managedFields (most of a pod's bytes).
    await this.d.api.update<Pod>(PODS, ns, { ...target, status: merged },
      { subresource: 'status', omitManagedFields: true });
    this.d.trace?.(e.pod, `written:${merged.phase ?? ''}`);
    return true;
  }

  /** target: the API object the status belongs on, when it is still the same pod. */
  private async target(pod: Pod, fresh: boolean): Promise<Pod | 'gone' | undefined> {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    let cur = fresh ? undefined : this.d.cached(ns, name);
    if (cur === undefined) {
      try {
        cur = await this.d.api.get<Pod>(PODS, ns, name);
      } catch (err) {
        if (isStatusError(err) && err.code === 404 && isStaticPod(pod)) return undefined;
        throw err;
      }
    }
    if (isStaticPod(pod)) {
      const hash = pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
      const mirrorOf = cur.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION];
      return mirrorOf === hash && cur.metadata.deletionTimestamp === undefined ? cur : undefined;
    }
    return cur.metadata.uid === pod.metadata.uid ? cur : 'gone';
  }
}

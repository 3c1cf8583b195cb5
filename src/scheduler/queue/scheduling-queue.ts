/**
 * The scheduling queue (upstream's PriorityQueue): three places a pending pod can wait.
 * - activeQ: ready now, highest priority first, then the longest waiting;
 * - backoffQ: failed recently, ready again when its backoff (1 s → 10 s per attempt) expires;
 * - unschedulable: rejected by the plugins listed with it, until a cluster event one of those
 *   plugins registered for arrives, or it has waited 5 minutes (the periodic flush).
 * A popped pod is "in flight" until done(): events that arrive meanwhile are remembered, so a
 * pod rejected on a view that is already stale goes to backoffQ instead of waiting for an event
 * that has already passed. The queue holds at most the cluster's pending pods (the informer's).
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { ClusterEvent } from '../framework/events.js';
import type { PodInfo } from '../snapshot/pod-info.js';
import { backoffDelayMs, DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS } from './backoff.js';
import { KeyedHeap } from './heap.js';

/** QueuedPod is a pending pod and its queueing history. */
export interface QueuedPod {
  info: PodInfo;
  /** timestampMs: when it last entered the queue (orders activeQ, starts its backoff). */
  timestampMs: number;
  /** attempts: scheduling cycles run for it so far. */
  attempts: number;
  /** unschedulablePlugins: the plugins that rejected it in its last cycle. */
  unschedulablePlugins: ReadonlySet<string>;
  /** seq: insertion order, the last tie-breaker (deterministic heaps). */
  seq: number;
  /** cycle: the scheduling cycle that popped it. */
  cycle: number;
}

/** QueueOptions: the clock, which plugins an event concerns, and the timings. */
export interface QueueOptions {
  clock: Clock;
  interested: (ev: ClusterEvent) => ReadonlySet<string>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** maxUnschedulableMs: the longest a pod waits for an event (default 5 min). */
  maxUnschedulableMs?: number;
  /** backoffFlushMs / unschedulableFlushMs: how often timers check (1 s / 30 s). */
  backoffFlushMs?: number;
  unschedulableFlushMs?: number;
}

/** DEFAULT_MAX_UNSCHEDULABLE_MS: upstream's podMaxInUnschedulablePodsDuration. */
export const DEFAULT_MAX_UNSCHEDULABLE_MS = 5 * 60_000;

interface InFlight {
  qp: QueuedPod;
  /** updated: the pod changed while it was being scheduled. */
  updated: boolean;
}

/** SchedulingQueue: see the file comment. */
export class SchedulingQueue {
  private readonly active = new KeyedHeap<QueuedPod>((q) => q.info.key, activeLess);
  private readonly backoff: KeyedHeap<QueuedPod>;
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** rejections: per plugin, how many unschedulable pods it rejected ("" = pods that no
   *  plugin rejected) — lets onEvent return at once when no waiting pod can care. */
  private readonly rejections = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly waiters: (() => void)[] = [];
  private timers: Timer[] = [];
  private seq = 0;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private closed = false;

  constructor(private readonly o: QueueOptions) {
    this.backoff = new KeyedHeap<QueuedPod>((q) => q.info.key,
      (a, b) => this.backoffExpiryMs(a) < this.backoffExpiryMs(b));
  }

  /** start runs the periodic flushes on the clock. */
  start(): void {
    assert(this.timers.length === 0, 'SchedulingQueue.start: already started');
    this.timers = [
      this.o.clock.setInterval(() => this.flushBackoff(), this.o.backoffFlushMs ?? 1_000),
      this.o.clock.setInterval(() => this.flushUnschedulable(),
        this.o.unschedulableFlushMs ?? 30_000),
    ];
  }

  /** close stops the timers and wakes pop() waiters with undefined. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.wake();
  }

  /** add queues a new pending pod (an already queued one is updated instead). */
  add(info: PodInfo): void {
    if (this.where(info.key) !== undefined) {
      this.update(info);
      return;
    }
    this.pushActive({ info, timestampMs: this.o.clock.nowMs(), attempts: 0,
      unschedulablePlugins: new Set(), seq: this.seq++, cycle: -1 });
  }

  /** update replaces a queued pod's object; a pod waiting as unschedulable whose scheduling-
   *  relevant fields changed is tried again (after its backoff). */
  update(info: PodInfo): void {
    const key = info.key;
    const flight = this.inFlight.get(key);
    if (flight !== undefined) {
      flight.updated = flight.updated || relevantChange(flight.qp.info.pod, info.pod);
      flight.qp.info = info;
      return;
    }
    const inActive = this.active.get(key) ?? this.backoff.get(key);
    if (inActive !== undefined) {
      inActive.info = info;
      if (this.active.has(key)) this.active.push(inActive);
      else this.backoff.push(inActive);
      return;
    }
    const parked = this.unschedulable.get(key);
    if (parked === undefined) {
      this.add(info);
      return;
    }
    const changed = relevantChange(parked.info.pod, info.pod);
    parked.info = info;
    if (changed) {
      this.unpark(key);
      this.requeue(parked);
    }
  }

  /** delete forgets a pod (deleted, or bound: no longer pending). */
  delete(key: string): void {
    this.active.remove(key);
    this.backoff.remove(key);
    this.unpark(key);
    this.inFlight.delete(key);
  }

  /** pop waits for the next pod to schedule; undefined once closed. The pod is in flight
   *  until done(), addUnschedulable() or addBackoff(). */
  async pop(): Promise<QueuedPod | undefined> {
    while (!this.closed) {
      const qp = this.active.pop();
      if (qp !== undefined) {
        qp.attempts++;
        qp.cycle = ++this.schedulingCycle;
        this.inFlight.set(qp.info.key, { qp, updated: false });
        return qp;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  /** done ends a pod's flight (bound, or given up); a no-op if it was deleted meanwhile. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * addUnschedulable parks a popped pod that no node took, with the plugins that rejected it.
   * If a cluster event arrived while it was in flight (or it was updated), it goes to backoffQ
   * instead: the view it failed on is already stale.
   */
  addUnschedulable(qp: QueuedPod, plugins: ReadonlySet<string>): void {
    const flight = this.takeFlight(qp);
    if (flight === undefined) return;
    qp.unschedulablePlugins = plugins;
    qp.timestampMs = this.o.clock.nowMs();
    if (this.moveRequestCycle >= qp.cycle || flight.updated) this.backoff.push(qp);
    else this.park(qp);
  }

  /** addBackoff requeues a popped pod after its backoff (an error, a failed bind). */
  addBackoff(qp: QueuedPod): void {
    if (this.takeFlight(qp) === undefined) return;
    qp.timestampMs = this.o.clock.nowMs();
    this.backoff.push(qp);
  }

  /** onEvent moves the unschedulable pods that a plugin interested in ev rejected (or that no
   *  plugin rejected) to activeQ, or backoffQ while backing off. */
  onEvent(ev: ClusterEvent): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return;
    const interested = this.o.interested(ev);
    if (!this.anyRejectedBy(interested)) return;
    for (const [key, qp] of this.unschedulable) {
      if (!concerns(qp.unschedulablePlugins, interested)) continue;
      this.unpark(key);
      this.requeue(qp);
    }
  }

  /** flushBackoff moves pods whose backoff expired to activeQ (every second). */
  flushBackoff(): void {
    const now = this.o.clock.nowMs();
    for (;;) {
      const qp = this.backoff.peek();
      if (qp === undefined || this.backoffExpiryMs(qp) > now) return;
      this.backoff.pop();
      this.pushActive(qp);
    }
  }

  /** flushUnschedulable retries pods that waited longer than maxUnschedulableMs. */
  flushUnschedulable(): void {
    const now = this.o.clock.nowMs();
    const maxMs = this.o.maxUnschedulableMs ?? DEFAULT_MAX_UNSCHEDULABLE_MS;
    for (const [key, qp] of this.unschedulable) {
      if (now - qp.timestampMs < maxMs) continue;
      this.unpark(key);
      this.requeue(qp);
    }
  }

  /** where: which place holds a pod (tests, and add's dedup). */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** sizes: pods in each place (metrics, tests). */
  sizes(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size,
      unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  private park(qp: QueuedPod): void {
    assert(!this.unschedulable.has(qp.info.key), `park: ${qp.info.key} already parked`);
    this.unschedulable.set(qp.info.key, qp);
    this.countRejections(qp, 1);
  }

  private unpark(key: string): void {
    const qp = this.unschedulable.get(key);
    if (qp === undefined) return;
    this.unschedulable.delete(key);
    this.countRejections(qp, -1);
  }

  private countRejections(qp: QueuedPod, delta: number): void {
    const names = qp.unschedulablePlugins.size === 0 ? [''] : qp.unschedulablePlugins;
    for (const name of names) {
      const n = (this.rejections.get(name) ?? 0) + delta;
      assert(n >= 0, `rejection count of ${name} below zero`);
      if (n === 0) this.rejections.delete(name);
      else this.rejections.set(name, n);
    }
  }

  private anyRejectedBy(interested: ReadonlySet<string>): boolean {
    if (this.rejections.has('')) return true;
    for (const name of interested) if (this.rejections.has(name)) return true;
    return false;
  }

  private takeFlight(qp: QueuedPod): InFlight | undefined {
    const flight = this.inFlight.get(qp.info.key);
    if (flight === undefined || flight.qp !== qp) return undefined;
    this.inFlight.delete(qp.info.key);
    return flight;
  }

  private requeue(qp: QueuedPod): void {
    if (this.backoffExpiryMs(qp) > this.o.clock.nowMs()) this.backoff.push(qp);
    else this.pushActive(qp);
  }

  private pushActive(qp: QueuedPod): void {
    this.active.push(qp);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private backoffExpiryMs(qp: QueuedPod): number {
    if (qp.attempts === 0) return qp.timestampMs;
    return qp.timestampMs + backoffDelayMs(qp.attempts,
      this.o.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      this.o.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
  }
}

/** activeLess: higher priority first, then earlier timestamp, then insertion order. */
function activeLess(a: QueuedPod, b: QueuedPod): boolean {
  if (a.info.priority !== b.info.priority) return a.info.priority > b.info.priority;
  if (a.timestampMs !== b.timestampMs) return a.timestampMs < b.timestampMs;
  return a.seq < b.seq;
}

function concerns(rejectedBy: ReadonlySet<string>, interested: ReadonlySet<string>): boolean {
  if (rejectedBy.size === 0) return true;
  for (const p of rejectedBy) if (interested.has(p)) return true;
  return false;
}

/** relevantChange: did anything but status and bookkeeping metadata change (upstream's
 *  isPodUpdated)? The scheduler's own PodScheduled patch must not count, or a pod that fits
 *  nowhere would be retried on its own status write. */
export function relevantChange(old: Pod, cur: Pod): boolean {
  const strip = (p: Pod): unknown => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata;
    return { meta, spec: p.spec };
  };
  return JSON.stringify(strip(old)) !== JSON.stringify(strip(cur));
}

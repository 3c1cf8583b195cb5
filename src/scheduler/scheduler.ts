/**
 * kube-scheduler: places pending pods on nodes. The shell around the pure parts: informers feed
 * the snapshot and the queue (./event-handlers.ts); one loop pops a pod, runs the cycle over the
 * snapshot (./framework/runner.ts), ASSUMES the chosen node in the snapshot at once and binds in
 * the background with bounded concurrency, so the next pod's cycle already counts this one and
 * bind round trips overlap. A failed bind forgets the assumption and requeues the pod with
 * backoff; a pod no node takes gets a FailedScheduling event and PodScheduled=False and waits
 * for a cluster event that can help. The loop yields to the event loop between cycles so
 * informer events (and bind replies) keep flowing while thousands of pods are pending.
 */
import { NODES, PODS } from '../client/resources.js';
import type { Node } from '../api/core/v1/cluster-kinds.js';
import type { Pod } from '../api/core/v1/pod-types.js';
import type { Clock } from '../base/clock.js';
import { Prng } from '../base/prng.js';
import type { InformerFactory } from '../client/cache/types.js';
import type { ComponentApi } from '../client/component-api.js';
import { StartingWork } from '../client/events/starting.js';
import type { EventRecorder } from '../client/events/types.js';
import { isFenceRefusal } from '../client/leader/fenced-api.js';
import { rfc3339 } from '../controllers/base/pods.js';
import { BoundedRunner } from './bounded-runner.js';
import { defaultProfile } from './default-profile.js';
import { DEFAULT_SCHEDULER_NAME, nodeHandlers, podHandlers, podKey } from './event-handlers.js';
import type { Profile } from './framework/profile.js';
import { runCycle } from './framework/runner.js';
import {
  REASON_SCHEDULER_ERROR,
  REASON_UNSCHEDULABLE,
  truncateEventMessage,
  unschedulableConditionPatch,
} from './pod-status.js';
import { SchedulingQueue, type QueuedPod } from './queue/scheduling-queue.js';
import { Snapshot } from './snapshot/snapshot.js';
import { stamp } from '../base/timeline.js';

/** The resources the scheduler reads and writes. */
export { NODES, PODS };

/**
 * DEFAULT_PARALLEL_BINDS: binds and status patches in flight at once. As many binds as the bind
 * batcher keeps out (2 calls of 128): with fewer, a burst's later pods waited in the queue for
 * the first binds' store round trip before their cycle even ran (burst timeline, 100 pods:
 * queue add -> pop p99 220-330 ms at 64).
 */
export const DEFAULT_PARALLEL_BINDS = 256;

/** SchedulerOptions: the API, informers, time, events, and tuning. */
export interface SchedulerOptions {
  api: ComponentApi;
  informers: InformerFactory;
  clock: Clock;
  wallMs: () => number;
  /** events: a recorder for component "default-scheduler". */
  events: EventRecorder;
  signal: AbortSignal;
  log: (line: string) => void;
  /** schedulerName: pods with this spec.schedulerName are ours (default-scheduler). */
  schedulerName?: string;
  /** percentageOfNodesToScore: 0/undefined = upstream's adaptive default. */
  percentageOfNodesToScore?: number;
  /** parallelBinds: the bound on binds and status patches in flight (default 64). */
  parallelBinds?: number;
  /** seed of the PRNG that breaks score ties (default 1). */
  seed?: number;
  /** profile: the plugins (default: defaultProfile()). */
  profile?: Profile;
}

/** runScheduler schedules until o.signal aborts, then waits for writes in flight. */
export async function runScheduler(o: SchedulerOptions): Promise<void> {
  await new Scheduler(o).run();
}

/** Scheduler is one scheduler's state for one term of leadership. */
export class Scheduler {
  readonly snapshot = new Snapshot();
  readonly queue: SchedulingQueue;
  private readonly profile: Profile;
  private readonly writes: BoundedRunner;
  private readonly prng: Prng;
  private readonly schedulerName: string;
  private nextStartIndex = 0;
  /** Pods this term bound that the informer has not yet shown past Pending. */
  private readonly starting: StartingWork;

  constructor(private readonly o: SchedulerOptions) {
    this.profile = o.profile ?? defaultProfile();
    this.queue = new SchedulingQueue({ clock: o.clock,
      interested: (ev) => this.profile.interested(ev) });
    this.writes = new BoundedRunner(o.parallelBinds ?? DEFAULT_PARALLEL_BINDS);
    this.prng = new Prng(o.seed ?? 1);
    this.schedulerName = o.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.starting = new StartingWork(o.clock);
  }

  /** run: informers, then the loop until the signal aborts. */
  async run(): Promise<void> {
    const { informers, signal } = this.o;
    const pods = informers.informerFor<Pod>(PODS);
    const nodes = informers.informerFor<Node>(NODES);
    nodes.addHandlers(nodeHandlers(this.snapshot, this.queue));
    pods.addHandlers(podHandlers(this.snapshot, this.queue, this.schedulerName));
    informers.start();
    const onAbort = (): void => this.queue.close();
    signal.addEventListener('abort', onAbort, { once: true });
    // Scheduled Events wait while pods wait to be placed, bound or started (recorder.ts).
    const unyield = this.o.events.yieldTo?.(() => this.busy());
    const unwatch = pods.addHandlers({
      update: (_, p) => {
        if ((p.status?.phase ?? 'Pending') !== 'Pending') this.starting.end(podKey(p));
      },
      delete: (p) => this.starting.end(podKey(p)),
    });
    try {
      if (signal.aborted) return;
      await informers.waitForSync(signal).catch(() => undefined);
      if (signal.aborted) return;
      this.queue.start();
      this.o.log(`scheduler ${this.schedulerName}: ${this.snapshot.numNodes()} nodes, ` +
        `${this.snapshot.numPlacedPods()} placed pods; scheduling`);
      await this.loop();
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.queue.close();
      await this.writes.drain();
      unyield?.();
      unwatch();
    }
  }

  /** busy: pods to schedule (active or backing off), binds and patches in flight, or pods
   *  bound and not yet started: their kubelets' writes go through the same API servers. */
  private busy(): boolean {
    const q = this.queue.sizes();
    return q.active + q.backoff + q.inFlight > 0 || this.writes.inFlight > 0 ||
      this.starting.busy();
  }

  private async loop(): Promise<void> {
    while (!this.o.signal.aborted) {
      const qp = await this.queue.pop();
      if (qp === undefined) return;
      stamp('sch.pop', qp.info.key);
      await this.scheduleOne(qp);
      await nextTurn();
    }
  }

  /** scheduleOne runs one cycle; binding and status writes go to the background. */
  async scheduleOne(qp: QueuedPod): Promise<void> {
    if (this.snapshot.placement(qp.info.key) !== undefined) {
      // Assumed and bound already; an update from before the bind re-queued it (upstream's
      // skipPodSchedule). The informer's view of the bind will drop it from the queue.
      this.queue.done(qp.info.key);
      return;
    }
    const out = runCycle(this.profile, this.snapshot, qp.info, {
      startIndex: this.nextStartIndex,
      percentageOfNodesToScore: this.o.percentageOfNodesToScore ?? 0,
      prng: this.prng,
    });
    this.nextStartIndex = out.nextStartIndex;
    switch (out.kind) {
      case 'fit':
        stamp('sch.fit', qp.info.key);
        this.snapshot.assume(qp.info, out.nodeName);
        await this.writes.start(() => this.bind(qp, out.nodeName));
        return;
      case 'unschedulable':
        this.queue.addUnschedulable(qp, out.plugins);
        await this.recordFailure(qp, REASON_UNSCHEDULABLE, out.message);
        return;
      case 'error':
        this.o.log(`scheduler: error scheduling ${qp.info.key}: ${out.message}`);
        this.queue.addBackoff(qp);
        await this.recordFailure(qp, REASON_SCHEDULER_ERROR, out.message);
        return;
    }
  }

  /** bind writes pods/binding; on failure the assumption is forgotten and the pod requeued. */
  private async bind(qp: QueuedPod, nodeName: string): Promise<void> {
    const { namespace, name, pod } = qp.info;
    try {
      await this.o.api.bind(namespace, name, nodeName);
      stamp('sch.bound', qp.info.key);
      this.starting.begin(qp.info.key);
      this.o.events.event(pod, 'Normal', 'Scheduled',
        `Successfully assigned ${namespace}/${name} to ${nodeName}`);
      this.queue.done(qp.info.key);
    } catch (err) {
      if (this.termOver(err)) {
        // Another scheduler leads now (upstream's would have exited): it schedules this pod, so
        // no FailedScheduling event or condition — both would only be refused or misleading.
        this.snapshot.forget(qp.info.key);
        return;
      }
      const message = `running Bind plugin "DefaultBinder": ${errorMessage(err)}`;
      this.o.log(`scheduler: binding ${qp.info.key} to ${nodeName}: ${message}`);
      this.snapshot.forget(qp.info.key);
      this.queue.onEvent('PodDelete');
      this.queue.addBackoff(qp);
      this.recordEvent(qp, message);
      await this.patchCondition(qp, REASON_SCHEDULER_ERROR, message);
    }
  }

  /** recordFailure: the FailedScheduling event now, the condition patch in the background. */
  private async recordFailure(qp: QueuedPod, reason: string, message: string): Promise<void> {
    this.recordEvent(qp, message);
    await this.writes.start(() => this.patchCondition(qp, reason, message));
  }

  private recordEvent(qp: QueuedPod, message: string): void {
    this.o.events.event(qp.info.pod, 'Warning', 'FailedScheduling', truncateEventMessage(message));
  }

  /** patchCondition sets PodScheduled=False unless the pod already says so; a failure is
   *  logged only (the next attempt writes it again). */
  private async patchCondition(qp: QueuedPod, reason: string, message: string): Promise<void> {
    const patch = unschedulableConditionPatch(qp.info.pod, reason, message,
      rfc3339(this.o.wallMs()));
    if (patch === undefined) return;
    try {
      await this.o.api.patch(PODS, qp.info.namespace, qp.info.name,
        'application/strategic-merge-patch+json', patch, { subresource: 'status' });
    } catch (err) {
      if (this.termOver(err)) return;
      this.o.log(`scheduler: updating PodScheduled of ${qp.info.key}: ${errorMessage(err)}`);
    }
  }

  /** termOver: this term has ended (its signal aborted) or a write was refused for its fence
   *  (the elector is stepping down): failures of its writes in flight are no news. */
  private termOver(err: unknown): boolean {
    return this.o.signal.aborted || isFenceRefusal(err);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** nextTurn resolves on a later turn of the event loop (after pending I/O callbacks), so the
 *  informers' events and bind replies are handled between scheduling cycles. Not a timer: no
 *  time passes on any clock. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

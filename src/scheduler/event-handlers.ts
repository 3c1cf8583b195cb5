/**
 * Informer handlers: they keep the snapshot and the queue in step with the cluster (upstream's
 * eventhandlers.go). A pod is either placed (it has a node: counted in the snapshot), pending
 * for this scheduler (queued), or neither (another scheduler's, gated, terminating while
 * pending, or finished: Succeeded/Failed pods free their node's resources). Changes that can
 * make a waiting pod fit are passed to the queue as cluster events.
 */
import type { Node } from '../api/core/v1/cluster-kinds.js';
import type { Pod } from '../api/core/v1/pod-types.js';
import type { JsonValue } from '../api/meta.js';
import { jsonEqual } from '../api/patch/json.js';
import type { EventHandlers } from '../client/cache/types.js';
import { keyFor } from '../client/cache/keys.js';
import { nodeUpdateEvents, placedPodUpdateEvents } from './framework/events.js';
import type { SchedulingQueue } from './queue/scheduling-queue.js';
import { PodInfo } from './snapshot/pod-info.js';
import { stamp } from '../base/timeline.js';
import type { Snapshot } from './snapshot/snapshot.js';

/** DEFAULT_SCHEDULER_NAME: spec.schedulerName's default. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** isTerminal: a finished pod takes nothing from its node. */
export function isTerminal(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** isPlaced: the pod is on a node and still counts there. */
export function isPlaced(p: Pod): boolean {
  return (p.spec?.nodeName ?? '') !== '' && !isTerminal(p);
}

/** isPendingFor: a pod this scheduler should place. */
export function isPendingFor(p: Pod, schedulerName: string): boolean {
  return (p.spec?.nodeName ?? '') === '' &&
    (p.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName &&
    p.metadata.deletionTimestamp === undefined &&
    (p.spec?.schedulingGates?.length ?? 0) === 0 &&
    !isTerminal(p);
}

/** podKey: the queue and snapshot key of a pod. */
export function podKey(p: Pod): string {
  return keyFor(p.metadata.namespace, p.metadata.name ?? '');
}

/**
 * sameSchedulingFacts: two versions of a pod the scheduler cannot tell apart — the same object
 * (uid), spec, labels, terminating and finished state; PodInfo reads nothing else. Labels and
 * specs compare as JSON values (jsonEqual: stops at the first difference, builds no text).
 */
export function sameSchedulingFacts(a: Pod, b: Pod): boolean {
  return a.metadata.uid === b.metadata.uid &&
    (a.metadata.deletionTimestamp === undefined) === (b.metadata.deletionTimestamp === undefined) &&
    isTerminal(a) === isTerminal(b) &&
    jsonEqual((a.metadata.labels ?? {}) as JsonValue, (b.metadata.labels ?? {}) as JsonValue) &&
    jsonEqual((a.spec ?? {}) as unknown as JsonValue, (b.spec ?? {}) as unknown as JsonValue);
}

/** podHandlers: pod informer handlers for one scheduler. */
export function podHandlers(snap: Snapshot, queue: SchedulingQueue, schedulerName: string):
  EventHandlers<Pod> {
  const upsert = (pod: Pod): void => {
    const key = podKey(pod);
    if (isPlaced(pod)) {
      const prev = snap.placement(key);
      const info = new PodInfo(pod);
      snap.addPod(info, pod.spec?.nodeName ?? '');
      queue.delete(key);
      // A confirmed assumption was counted already: only what changed since is news.
      if (prev === undefined) queue.onEvent('PodAdd');
      else for (const ev of placedPodUpdateEvents(prev.info, info)) queue.onEvent(ev);
      return;
    }
    // Not on a node: no longer counted — unless this scheduler assumed it and its bind is in
    // flight (the informer has not seen the bind yet; a failed bind forgets it).
    if (!snap.isAssumed(key) && snap.removePod(key) !== undefined) queue.onEvent('PodDelete');
    if (isPendingFor(pod, schedulerName)) {
      stamp('sch.add', key);
      queue.add(new PodInfo(pod));
    } else queue.delete(key);
  };
  return {
    add: upsert,
    update: (old, pod) => {
      // A placed pod's status write (the kubelet's two or three per started pod) changes
      // nothing the snapshot counts: the placement it confirmed stays, without a new PodInfo,
      // a remove and re-add on its node and a cluster event for the queue.
      if (old !== pod && isPlaced(pod) && sameSchedulingFacts(old, pod) &&
        !snap.isAssumed(podKey(pod)) &&
        snap.placement(podKey(pod))?.nodeName === pod.spec?.nodeName) return;
      upsert(pod);
    },
    delete: (pod) => {
      const key = podKey(pod);
      queue.delete(key);
      if (snap.removePod(key) !== undefined) queue.onEvent('PodDelete');
    },
  };
}

/** nodeHandlers: node informer handlers. */
export function nodeHandlers(snap: Snapshot, queue: SchedulingQueue): EventHandlers<Node> {
  return {
    add: (node) => {
      snap.setNode(node);
      queue.onEvent('NodeAdd');
    },
    update: (old, node) => {
      snap.setNode(node);
      for (const ev of nodeUpdateEvents(old, node)) queue.onEvent(ev);
    },
    delete: (node) => {
      snap.removeNode(node.metadata.name ?? '');
      queue.onEvent('NodeDelete');
    },
  };
}

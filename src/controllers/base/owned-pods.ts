/**
 * Pod event handlers for a controller that owns pods through a controller reference (DaemonSet,
 * Job; upstream's addPod/updatePod/deletePod of each workload controller): a pod's change enqueues
 * its owner's key, a new pod is an observed creation, a pod gone or being deleted an observed
 * deletion. The payload only picks the key and settles expectations; the sync re-reads the caches.
 * Also the lookup of an object's controlling owner in the cache (ReplicaSet → Deployment, pod →
 * ReplicaSet).
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { KubeObject } from '../../api/meta.js';
import { keyFor, keyOf } from '../../client/cache/keys.js';
import type { EventHandlers, Lister } from '../../client/cache/types.js';
import type { Expectations } from './expectations.js';
import { controllerRef } from './pods.js';

/** OwnedPodsOptions: which owner kind, and what to do with its key. */
export interface OwnedPodsOptions {
  /** The owner's kind in the controller reference ("DaemonSet", "Job"). */
  kind: string;
  /** The owner's apiVersion group prefix ("apps/", "batch/"). */
  group: string;
  expectations: Expectations;
  enqueue: (ownerKey: string) => void;
  /** Called for every pod change, whoever owns the pod (optional extra bookkeeping). */
  onPod?: (pod: Pod) => void;
}

/** ownerKeyOf: "<ns>/<owner name>" when the pod's controller is of the given kind. */
export function ownerKeyOf(pod: Pod, kind: string, group: string): string | undefined {
  const ref = controllerRef(pod);
  if (ref === undefined || ref.kind !== kind || !ref.apiVersion.startsWith(group)) return undefined;
  return keyFor(pod.metadata.namespace, ref.name);
}

/** cachedController: obj's controlling owner of the given kind as the cache holds it; undefined
 *  when there is none, or the cached object of that name is another one (a different uid). */
export function cachedController<T extends KubeObject>(obj: KubeObject, kind: string,
  owners: Lister<T>): T | undefined {
  const ref = controllerRef(obj);
  if (ref === undefined || ref.kind !== kind) return undefined;
  const owner = owners.get(obj.metadata.namespace, ref.name);
  return owner?.metadata.uid === ref.uid ? owner : undefined;
}

/** ownedPodHandlers builds the three handlers. */
export function ownedPodHandlers(o: OwnedPodsOptions): EventHandlers<Pod> {
  const owner = (p: Pod): string | undefined => ownerKeyOf(p, o.kind, o.group);
  return {
    add: (pod) => {
      o.onPod?.(pod);
      const key = owner(pod);
      if (key === undefined) return;
      if (pod.metadata.deletionTimestamp !== undefined) {
        o.expectations.deletionObserved(key, keyOf(pod));
      } else o.expectations.creationObserved(key);
      o.enqueue(key);
    },
    update: (old, pod) => {
      o.onPod?.(pod);
      const key = owner(pod);
      if (pod.metadata.deletionTimestamp !== undefined && key !== undefined) {
        o.expectations.deletionObserved(key, keyOf(pod));
      }
      const oldKey = owner(old);
      if (oldKey !== undefined && oldKey !== key) o.enqueue(oldKey);
      if (key !== undefined) o.enqueue(key);
    },
    delete: (pod) => {
      o.onPod?.(pod);
      const key = owner(pod);
      if (key === undefined) return;
      o.expectations.deletionObserved(key, keyOf(pod));
      o.enqueue(key);
    },
  };
}

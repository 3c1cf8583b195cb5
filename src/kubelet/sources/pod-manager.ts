/**
 * PodManager merges the kubelet's two pod sources — the API (pods bound to this node) and the
 * manifest directory (static pods) — into one set keyed by uid, and turns each source update
 * into changes for the dispatcher: UPSERT (a pod to run, new or changed) and REMOVE (a pod gone
 * from its source without the API's graceful deletion: force-deleted, or its file removed).
 * Mirror pods from the API are kept apart, by full name: they are not run, they only show the
 * static pods. Pure state, no I/O.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import { fullName, isMirrorPod } from './static-pods.js';

/** PodChange is one thing the dispatcher must act on. */
export type PodChange =
  | { type: 'UPSERT'; pod: Pod }
  | { type: 'REMOVE'; pod: Pod; reason: string };

/** PODS_MAX bounds the pods one kubelet tracks (far above any node's pod capacity). */
export const PODS_MAX = 100_000;

/** PodManager: the desired pods of this node. */
export class PodManager {
  private readonly apiPods = new Map<string, Pod>();
  private readonly staticPods = new Map<string, Pod>();
  private readonly mirrors = new Map<string, Pod>();

  /** setApiPod: an API pod was added or changed. */
  setApiPod(pod: Pod): PodChange[] {
    if (isMirrorPod(pod)) {
      this.mirrors.set(fullName(pod), pod);
      return [];
    }
    const uid = uidOf(pod);
    const old = this.apiPods.get(uid);
    assert(old !== undefined || this.apiPods.size < PODS_MAX, 'pod manager: too many pods');
    this.apiPods.set(uid, pod);
    if (old !== undefined && old.metadata.resourceVersion === pod.metadata.resourceVersion &&
      pod.metadata.resourceVersion !== undefined) return [];
    return [{ type: 'UPSERT', pod }];
  }

  /** deleteApiPod: the API object is gone. */
  deleteApiPod(pod: Pod): PodChange[] {
    if (isMirrorPod(pod)) {
      const cur = this.mirrors.get(fullName(pod));
      if (cur?.metadata.uid === pod.metadata.uid) this.mirrors.delete(fullName(pod));
      return [];
    }
    const uid = uidOf(pod);
    const old = this.apiPods.get(uid);
    if (old === undefined) return [];
    this.apiPods.delete(uid);
    return [{ type: 'REMOVE', pod: old, reason: 'the pod object was deleted' }];
  }

  /** setStaticPods: the manifest directory now holds exactly these pods. */
  setStaticPods(pods: readonly Pod[]): PodChange[] {
    const next = new Map(pods.map((p) => [uidOf(p), p]));
    const changes: PodChange[] = [];
    for (const [uid, old] of this.staticPods) {
      if (!next.has(uid)) {
        changes.push({ type: 'REMOVE', pod: old, reason: 'the static pod manifest changed or ' +
          'was removed' });
      }
    }
    for (const [uid, pod] of next) {
      if (!this.staticPods.has(uid)) changes.push({ type: 'UPSERT', pod });
    }
    assert(next.size <= PODS_MAX, 'pod manager: too many static pods');
    this.staticPods.clear();
    for (const [uid, pod] of next) this.staticPods.set(uid, pod);
    return changes;
  }

  /** get: the desired pod with this uid (API or static). */
  get(uid: string): Pod | undefined {
    return this.apiPods.get(uid) ?? this.staticPods.get(uid);
  }

  /** statics: every static pod. */
  statics(): Pod[] {
    return [...this.staticPods.values()];
  }

  /** mirrorPods: every mirror pod seen in the API. */
  mirrorPods(): Pod[] {
    return [...this.mirrors.values()];
  }

  /** mirrorOf: the mirror pod with the static pod's full name, if the API has one. */
  mirrorOf(staticPod: Pod): Pod | undefined {
    return this.mirrors.get(fullName(staticPod));
  }

  /** staticByFullName: the static pod a mirror pod stands for. */
  staticByFullName(name: string): Pod | undefined {
    for (const p of this.staticPods.values()) if (fullName(p) === name) return p;
    return undefined;
  }

  /** all: every desired pod (API and static). */
  all(): Pod[] {
    return [...this.apiPods.values(), ...this.staticPods.values()];
  }
}

function uidOf(pod: Pod): string {
  const uid = pod.metadata.uid ?? '';
  assert(uid !== '', `pod ${fullName(pod)} has no uid`);
  return uid;
}

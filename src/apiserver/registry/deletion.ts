/**
 * Deciding what a DELETE does, pure (kube-apiserver's BeforeDelete plus finalizers): remove the
 * object now, or mark it (deletionTimestamp, deletionGracePeriodSeconds, propagation finalizers)
 * and let its owner finish — the kubelet for a running pod's grace period, the garbage collector
 * for foreground/orphan propagation, the namespace controller for a namespace's contents.
 */
import type { KubeObject } from '../../api/meta.js';
import type { DeleteOptions } from './types.js';
import { rfc3339 } from './object-meta.js';

/** DeletePlan: remove the key, or write the marked object, or nothing left to do. */
export type DeletePlan =
  | { action: 'delete' }
  | { action: 'update'; object: KubeObject }
  | { action: 'none' };

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

function podGraceSeconds(pod: KubeObject, requested: number | undefined): number {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const status = (pod.status ?? {}) as { phase?: string };
  // A pod no kubelet runs, or one that finished, has nothing to stop gracefully.
  if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

function withFinalizer(list: string[], add: string | undefined, drop: string[]): string[] {
  const out = list.filter((f) => !drop.includes(f));
  if (add && !out.includes(add)) out.push(add);
  return out;
}

/** planDelete decides a DELETE of obj (already checked against preconditions). */
export function planDelete(obj: KubeObject, kind: string, o: DeleteOptions, nowMs: number): DeletePlan {
  const grace = kind === 'Pod' ? podGraceSeconds(obj, o.gracePeriodSeconds) : 0;
  const policy = o.propagationPolicy;
  const current = obj.metadata.finalizers ?? [];
  const finalizers =
    policy === 'Orphan' ? withFinalizer(current, ORPHAN, [FOREGROUND])
    : policy === 'Foreground' ? withFinalizer(current, FOREGROUND, [ORPHAN])
    : current;
  const nsFinalizers = kind === 'Namespace'
    ? ((obj.spec ?? {}) as { finalizers?: string[] }).finalizers ?? []
    : [];
  const marked = obj.metadata.deletionTimestamp !== undefined;
  if (marked) {
    const prior = obj.metadata.deletionGracePeriodSeconds ?? 0;
    if (finalizers.length === 0 && nsFinalizers.length === 0 && grace === 0) return { action: 'delete' };
    if (grace < prior) return { action: 'update', object: mark(obj, finalizers, grace, nowMs) };
    return sameList(finalizers, current) ? { action: 'none' } : { action: 'update', object: mark(obj, finalizers, prior, nowMs) };
  }
  if (finalizers.length === 0 && nsFinalizers.length === 0 && grace === 0) return { action: 'delete' };
  const object = mark(obj, finalizers, grace, nowMs);
  if (kind === 'Namespace') object.status = { ...(object.status as object), phase: 'Terminating' };
  return { action: 'update', object };
}

function mark(obj: KubeObject, finalizers: string[], grace: number, nowMs: number): KubeObject {
  const metadata = { ...obj.metadata };
  metadata.deletionTimestamp = rfc3339(nowMs + grace * 1000);
  metadata.deletionGracePeriodSeconds = grace;
  if (finalizers.length > 0) metadata.finalizers = finalizers;
  else delete metadata.finalizers;
  return { ...obj, metadata };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * finishedFinalizing: an update left a marked object without finalizers (and without a pending
 * grace period), so the update must delete it instead of storing it — how finalizers end.
 */
export function finishedFinalizing(obj: KubeObject, kind: string): boolean {
  if (obj.metadata.deletionTimestamp === undefined) return false;
  if ((obj.metadata.finalizers ?? []).length > 0) return false;
  if (kind === 'Namespace') {
    const nsFin = ((obj.spec ?? {}) as { finalizers?: string[] }).finalizers ?? [];
    if (nsFin.length > 0) return false;
  }
  return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}

/**
 * The transaction pieces of WriteConditions (types.ts): the fence compare a write adds to its
 * If, the companion write it adds to its Then, and the fence read its Else adds so a failed
 * transaction tells a lost fence (refused, never retried) from an ordinary concurrent change
 * (retried) in the same round trip, on the k8ts store and on real etcd alike.
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import { compare, op, type Compare, type Op, type OpResult } from '../../store/client/index.js';
import type { WriteConditions } from './types.js';

/** fenceCompares is the If part of a fenced write: [] without a fence. */
export function fenceCompares(w: WriteConditions | undefined): Compare[] {
  const f = w?.fence;
  if (!f) return [];
  assert(Number.isSafeInteger(f.modRevision) && f.modRevision > 0, 'fence: bad modRevision');
  return [compare.modRevision(f.key, '=', f.modRevision)];
}

/** fenceReads is the Else part that reads the fence key back: [] without a fence. */
export function fenceReads(w: WriteConditions | undefined): Op[] {
  return w?.fence ? [op.get(w.fence.key)] : [];
}

/**
 * checkFence throws the fence's refusal when the fence key read in a failed transaction's Else
 * branch (`read`) no longer has the fence's revision. Without a fence it does nothing.
 */
export function checkFence(w: WriteConditions | undefined, read: OpResult | undefined): void {
  const f = w?.fence;
  if (!f) return;
  assert(read !== undefined && read.type === 'get', 'txn: the fence read is missing');
  const current = read.kvs[0]?.modRevision ?? 0;
  if (current !== f.modRevision) throw f.refuse(current);
}

/** companionOps is the Then part a companion adds for before → after: [] when none. */
export function companionOps(
  w: WriteConditions | undefined,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): Op[] {
  const c = w?.companion?.(before, after);
  if (!c) return [];
  return c.type === 'put' ? [op.put(c.key, c.value)] : [op.delete(c.key)];
}

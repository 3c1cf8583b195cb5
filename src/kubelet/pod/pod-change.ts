/**
 * Whether a newer copy of a pod asks its worker for a sync. Most updates a running pod's worker
 * receives are the echo of the kubelet's own status writes (and the scheduler's binding right
 * before): nothing a sync acts on differs, and each needless sync costs CRI round trips and a
 * status rebuild while a burst of pods is starting. A sync reads the spec and the metadata
 * (env from labels and annotations, the grace period), and from the API's status only the
 * conditions others own that spec.readinessGates name; so only those count. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../../api/core/v1/pod-types.js';

/** metadataSansVersion is the metadata without what changes on every write. */
function metadataSansVersion(pod: Pod): Omit<Pod['metadata'], 'resourceVersion' | 'managedFields'> {
  const { resourceVersion: _rv, managedFields: _mf, ...rest } = pod.metadata;
  return rest;
}

/** needsSync: whether next differs from prev in anything a sync reads (see the file comment). */
export function needsSync(prev: Pod, next: Pod): boolean {
  if (!isDeepStrictEqual(prev.spec, next.spec)) return true;
  if (!isDeepStrictEqual(metadataSansVersion(prev), metadataSansVersion(next))) return true;
  if ((next.spec?.readinessGates ?? []).length === 0) return false;
  return !isDeepStrictEqual(prev.status?.conditions, next.status?.conditions);
}

/**
 * Whether a newer copy of a pod asks its worker for a sync. Most updates a running pod's worker
 * receives are the echo of the kubelet's own status writes (and the scheduler's binding right
 * before): nothing a sync acts on differs, and each needless sync costs CRI round trips and a
 * status rebuild while a burst of pods is starting. A sync reads the spec and the metadata
 * (env from labels and annotations, the grace period), and from the API's status only the
 * conditions others own that spec.readinessGates name; so only those count. Pure.
 * Compared as JSON (jsonEqual: what the API sends; a field set to undefined is absent), not
 * with node:util's isDeepStrictEqual, which checks prototypes and property kinds JSON cannot
 * have: 13 → 4 µs per burst pod's echo (spec and metadata, with the kubelet's node arguments).
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { JsonValue } from '../../api/meta.js';
import { jsonEqual } from '../../api/patch/json.js';

/** metadataSansVersion is the metadata without what changes on every write. */
function metadataSansVersion(pod: Pod): Omit<Pod['metadata'], 'resourceVersion' | 'managedFields'> {
  const { resourceVersion: _rv, managedFields: _mf, ...rest } = pod.metadata;
  return rest;
}

/** needsSync: whether next differs from prev in anything a sync reads (see the file comment). */
export function needsSync(prev: Pod, next: Pod): boolean {
  if (!same(prev.spec, next.spec)) return true;
  if (!same(metadataSansVersion(prev), metadataSansVersion(next))) return true;
  if ((next.spec?.readinessGates ?? []).length === 0) return false;
  return !same(prev.status?.conditions, next.status?.conditions);
}

/** same: a and b are equal as JSON (the API's types are JSON data). */
function same(a: unknown, b: unknown): boolean {
  return jsonEqual(a as JsonValue | undefined, b as JsonValue | undefined);
}

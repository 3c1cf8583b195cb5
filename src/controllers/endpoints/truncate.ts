/**
 * Over-capacity Endpoints (upstream's truncateEndpoints): an Endpoints object keeps at most
 * MAX_ENDPOINTS_CAPACITY addresses; EndpointSlices carry the rest. Ready addresses go first:
 * when the ready ones alone overflow, the not-ready are dropped and the ready cut; otherwise
 * only the not-ready are cut. Each subset keeps a share proportional to its size, rounded up,
 * the last ones taking what is left; a subset left without addresses is dropped. Pure.
 */
import { assert } from '../../base/assert.js';
import type { EndpointSubset } from '../../api/core/v1/endpoints.js';

/** OVER_CAPACITY_ANNOTATION is set to "truncated" on Endpoints that were cut. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** TRUNCATED is the over-capacity annotation's value. */
export const TRUNCATED = 'truncated';

/** countAddresses: ready plus not-ready addresses of subsets. */
export function countAddresses(subsets: readonly EndpointSubset[]): number {
  return subsets.reduce((n, s) => n + (s.addresses ?? []).length +
    (s.notReadyAddresses ?? []).length, 0);
}

/** truncateSubsets returns subsets cut to capacity (new objects; input untouched) and whether
 *  anything was cut. */
export function truncateSubsets(subsets: readonly EndpointSubset[], capacity: number):
  { subsets: EndpointSubset[]; truncated: boolean } {
  assert(capacity > 0, 'truncate: capacity must be positive');
  const ready = subsets.reduce((n, s) => n + (s.addresses ?? []).length, 0);
  const notReady = subsets.reduce((n, s) => n + (s.notReadyAddresses ?? []).length, 0);
  if (ready + notReady <= capacity) return { subsets: [...subsets], truncated: false };
  const cutReady = ready > capacity;
  const budget = cutReady ? capacity : capacity - ready;
  const total = cutReady ? ready : notReady;
  let left = budget;
  const out = subsets.map((s) => {
    const field = cutReady ? s.addresses ?? [] : s.notReadyAddresses ?? [];
    const share = Math.min(left, Math.ceil((field.length / total) * budget));
    const kept = field.slice(0, share);
    left -= kept.length;
    const copy: EndpointSubset = { ...s };
    if (cutReady) {
      copy.addresses = kept;
      delete copy.notReadyAddresses;
    } else {
      copy.notReadyAddresses = kept;
    }
    return copy;
  }).filter((s) => countAddresses([s]) > 0);
  assert(countAddresses(out) <= capacity, 'truncate: result over capacity');
  return { subsets: out, truncated: true };
}

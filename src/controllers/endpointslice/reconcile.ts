/**
 * Reconciling one port group's slices (upstream's reconcileByPortMapping), the strategy that
 * keeps churn low: (1) existing slices keep the desired endpoints they hold (updated in place
 * when they changed) and lose the others — a slice left empty is deleted; (2) slices being
 * updated anyway are filled up first, fullest first; (3) what is left goes into the unchanged
 * slice it fits best (one write instead of a create), else into new slices of at most
 * maxEndpointsPerSlice. Deterministic: slices by name, endpoints by key. Pure.
 */
import { assert } from '../../base/assert.js';
import type { Endpoint, EndpointSlice } from '../../api/discovery/v1/endpoint-slice.js';
import { cmp, sameLabels } from '../base/service-pods.js';
import { endpointKey, sameEndpoint } from './desired.js';

/** GroupChanges: the slices of one port group to create, update and delete. */
export interface GroupChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** GroupInput: one port group's existing slices (cache objects, never mutated) and wants. */
export interface GroupInput {
  existing: readonly EndpointSlice[];
  /** Desired endpoints by endpointKey, in the order to place them. */
  desired: ReadonlyMap<string, Endpoint>;
  /** The labels every slice of the Service must carry. */
  labels: Readonly<Record<string, string>>;
  /** A new empty slice of this group (generateName, owner, ports, labels). */
  newSlice: () => EndpointSlice;
  maxEndpointsPerSlice: number;
}

/** reconcileGroup plans the writes that make one port group's slices hold exactly desired. */
export function reconcileGroup(g: GroupInput): GroupChanges {
  assert(g.maxEndpointsPerSlice > 0, 'reconcile: maxEndpointsPerSlice must be positive');
  const left = new Map(g.desired);
  const update = new Map<string, EndpointSlice>();
  const unchanged = new Map<string, EndpointSlice>();
  const del: EndpointSlice[] = [];
  const sorted = [...g.existing].sort((a, b) => cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
  for (const slice of sorted) {
    const { kept, changed } = keepDesired(slice, left);
    const labelsChanged = !sameLabels(slice.metadata.labels ?? {}, g.labels);
    if (kept.length === 0 && changed) {
      del.push(slice);
    } else if (changed || labelsChanged) {
      const copy = structuredClone(slice);
      copy.endpoints = kept;
      copy.metadata.labels = { ...g.labels };
      update.set(slice.metadata.name ?? '', copy);
    } else {
      unchanged.set(slice.metadata.name ?? '', slice);
    }
  }
  const byFullest = [...update.values()].sort((a, b) => size(b) - size(a) ||
    cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
  for (const slice of byFullest) fill(slice, left, g.maxEndpointsPerSlice);
  const create: EndpointSlice[] = [];
  while (left.size > 0) {
    const target = left.size < g.maxEndpointsPerSlice ?
      bestFit([...unchanged.values()], left.size, g.maxEndpointsPerSlice) : undefined;
    const slice = target === undefined ? g.newSlice() : structuredClone(target);
    fill(slice, left, g.maxEndpointsPerSlice);
    if (target === undefined) {
      create.push(slice);
    } else {
      unchanged.delete(target.metadata.name ?? '');
      update.set(target.metadata.name ?? '', slice);
    }
  }
  return { create, update: [...update.values()], delete: del };
}

/** keepDesired: the endpoints of slice still desired (in their desired form, taken out of
 *  left) and whether any differs from what the slice holds or was dropped. */
function keepDesired(slice: EndpointSlice, left: Map<string, Endpoint>):
  { kept: Endpoint[]; changed: boolean } {
  const kept: Endpoint[] = [];
  let changed = false;
  for (const ep of slice.endpoints ?? []) {
    const key = endpointKey(ep);
    const want = left.get(key);
    if (want === undefined) {
      changed = true;
      continue;
    }
    if (!sameEndpoint(want, ep)) changed = true;
    kept.push(want);
    left.delete(key);
  }
  return { kept, changed };
}

function size(s: EndpointSlice): number {
  return (s.endpoints ?? []).length;
}

/** fill moves endpoints from left into slice, in left's order, up to max. */
function fill(slice: EndpointSlice, left: Map<string, Endpoint>, max: number): void {
  const eps = (slice.endpoints ??= []);
  for (const [key, ep] of left) {
    if (eps.length >= max) break;
    eps.push(ep);
    left.delete(key);
  }
}

/** bestFit: the slice that can take all n endpoints with the least room to spare. */
function bestFit(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestSpare = max;
  for (const s of slices) {
    const spare = max - size(s) - n;
    if (spare >= 0 && spare < bestSpare) {
      best = s;
      bestSpare = spare;
    }
  }
  return best;
}

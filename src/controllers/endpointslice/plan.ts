/**
 * The EndpointSlice controller's pure core (kube-controller-manager's "endpointslice"): given a
 * Service, the pods of its namespace, the slices this controller manages for it and the nodes,
 * the writes that make the slices publish the Service's endpoints — updating slices in place,
 * creating and deleting only when needed, and none at all when nothing changed. A deleted
 * Service's slices are left to the garbage collector (they carry its owner reference).
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { EndpointPort } from '../../api/core/v1/endpoints.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import type { EndpointSlice } from '../../api/discovery/v1/endpoint-slice.js';
import { ownerRefTo } from '../base/pods.js';
import type { ObjectWrite } from '../base/tracked-writes.js';
import {
  cmp,
  hasSelector,
  HEADLESS_LABEL,
  isHeadless,
  portSetKey,
  sameLabels,
  selects,
  TRIGGER_TIME_ANNOTATION,
  triggerTime,
} from '../base/service-pods.js';
import { desiredEndpoints } from './desired.js';
import { type GroupChanges, reconcileGroup } from './reconcile.js';

/** SERVICE_NAME_LABEL ties a slice to its Service (kube-proxy and DNS select by it). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** MANAGED_BY_LABEL says which controller owns a slice; others' slices are not touched. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** CONTROLLER_NAME is this controller's managed-by value (upstream's). */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** MAX_ENDPOINTS_PER_SLICE: upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** SlicePlanInput: what one sync of a Service key observed in the caches. */
export interface SlicePlanInput {
  service: Service | undefined;
  /** Pods of the namespace (those the selector does not pick are ignored). */
  pods: readonly Pod[];
  /** The slices labelled for this Service and managed by this controller. */
  slices: readonly EndpointSlice[];
  /** The cached node of a name (for zones, and to hold back pods on unknown nodes). */
  node: (name: string) => Node | undefined;
  maxEndpointsPerSlice?: number;
}

/** SliceAction is one API write. */
export type SliceAction = ObjectWrite<EndpointSlice>;

/** SlicePlan: the writes, and nodes that pods run on but the cache lacks (retry later). */
export interface SlicePlan {
  actions: SliceAction[];
  missingNodes: string[];
}

/** planEndpointSlices returns the writes for one Service key: creates, updates, deletes. */
export function planEndpointSlices(input: SlicePlanInput): SlicePlan {
  const svc = input.service;
  if (svc === undefined || !hasSelector(svc)) return { actions: [], missingNodes: [] };
  const max = input.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const labels = sliceLabels(svc);
  const slices = [...input.slices]
    .sort((a, b) => cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
  const all: GroupChanges = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' || !ownedBy(s, svc)) {
      all.delete.push(s);
      continue;
    }
    const key = portSetKey(s.ports ?? []);
    byPorts.set(key, [...(byPorts.get(key) ?? []), s]);
  }
  const desired = desiredEndpoints(svc, input.pods, input.node);
  for (const [key, g] of [...desired.groups].sort(([a], [b]) => cmp(a, b))) {
    const changes = reconcileGroup({ existing: byPorts.get(key) ?? [], desired: g.endpoints,
      labels, newSlice: () => newSlice(svc, g.ports, labels), maxEndpointsPerSlice: max });
    all.create.push(...changes.create);
    all.update.push(...changes.update);
    all.delete.push(...changes.delete);
  }
  for (const [key, group] of byPorts) if (!desired.groups.has(key)) all.delete.push(...group);
  if (all.delete.length === slices.length && all.create.length === 0) placeholder(svc, labels, all);
  reuseDeleted(svc, all);
  return { actions: toActions(svc, input.pods, all), missingNodes: desired.missingNodes };
}

/** sliceLabels: the Service's labels (less the reserved ones), the headless label when
 *  headless, the Service's name and this controller's managed-by. */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

/** ownedBy: slice's controller reference is this Service (not a deleted namesake's). */
function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.controller === true &&
    r.kind === 'Service' && r.uid === svc.metadata.uid);
}

/** newSlice: an empty slice of svc with these ports; the API server picks its name. */
function newSlice(svc: Service, ports: EndpointPort[], labels: Record<string, string>):
  EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name ?? ''}-`,
      namespace: svc.metadata.namespace ?? '',
      labels: { ...labels },
      ownerReferences: [ownerRefTo(svc, 'v1', 'Service')],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}

/**
 * placeholder: a Service with no endpoints keeps one empty slice without ports (consumers see
 * "no endpoints" rather than "not yet processed"); an existing placeholder is kept as is.
 */
function placeholder(svc: Service, labels: Record<string, string>, all: GroupChanges): void {
  const only = all.delete.length === 1 ? all.delete[0] : undefined;
  const isPlaceholder = only !== undefined && ownedBy(only, svc) && only.addressType === 'IPv4' &&
    (only.endpoints ?? []).length === 0 && (only.ports ?? []).length === 0 &&
    sameLabels(only.metadata.labels ?? {}, labels);
  if (isPlaceholder) all.delete = [];
  else all.create.push(newSlice(svc, [], labels));
}

/** reuseDeleted turns a create plus a delete into one update of the slice to be deleted
 *  (upstream's finalize): fewer writes, fewer watch events, stable slice names. */
function reuseDeleted(svc: Service, all: GroupChanges): void {
  const stillDelete: EndpointSlice[] = [];
  for (const old of all.delete) {
    const next = all.create.length > 0 && old.addressType === 'IPv4' && ownedBy(old, svc) ?
      all.create.pop() : undefined;
    if (next === undefined) {
      stillDelete.push(old);
      continue;
    }
    const reused = structuredClone(old);
    reused.metadata.labels = next.metadata.labels ?? {};
    reused.endpoints = next.endpoints ?? [];
    reused.ports = next.ports ?? [];
    all.update.push(reused);
  }
  all.delete = stillDelete;
}

/** toActions: creates (none for a Service being deleted), updates, deletes; every written
 *  slice carries the trigger time. */
function toActions(svc: Service, pods: readonly Pod[], all: GroupChanges): SliceAction[] {
  const selected = pods.filter((p) => selects(svc, p));
  const when = triggerTime(svc, selected);
  const stamp = (s: EndpointSlice): EndpointSlice => {
    const annotations = { ...(s.metadata.annotations ?? {}) };
    if (when === undefined) delete annotations[TRIGGER_TIME_ANNOTATION];
    else annotations[TRIGGER_TIME_ANNOTATION] = when;
    s.metadata.annotations = annotations;
    return s;
  };
  const creates = svc.metadata.deletionTimestamp !== undefined ? [] : all.create;
  return [
    ...creates.map((s) => ({ verb: 'create' as const, object: stamp(s) })),
    ...all.update.map((s) => ({ verb: 'update' as const, object: stamp(s) })),
    ...all.delete.map((s) => ({ verb: 'delete' as const, namespace: s.metadata.namespace ?? '',
      name: s.metadata.name ?? '' })),
  ];
}

/**
 * Deployment facts (upstream's deployment/util): the annotations a Deployment and its
 * ReplicaSets carry, revisions, maxSurge/maxUnavailable with upstream's rounding, replica sums,
 * the orders ReplicaSets are walked in, and template equality ignoring the hash label. Pure.
 */
import type { Deployment, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { IntOrString } from '../../api/core/v1/common-types.js';
import type { PodTemplateSpec } from '../../api/core/v1/pod-types.js';
import { canonicalJson } from '../base/template-hash.js';

/** HASH_LABEL: the label that ties a ReplicaSet and its pods to one pod template. */
export const HASH_LABEL = 'pod-template-hash';
/** REVISION: the rollout revision of a ReplicaSet (and, copied, of its Deployment). */
export const REVISION = 'deployment.kubernetes.io/revision';
/** REVISION_HISTORY: earlier revisions a ReplicaSet had (it was rolled back to). */
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
/** DESIRED_REPLICAS: spec.replicas of the Deployment when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
/** MAX_REPLICAS: spec.replicas + maxSurge then (proportional scaling's denominator). */
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** LAST_APPLIED: kubectl apply's annotation, never copied onto ReplicaSets. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** MAX_REV_HISTORY_CHARS bounds the revision-history annotation (upstream's default). */
export const MAX_REV_HISTORY_CHARS = 2000;
/** NO_DEADLINE: progressDeadlineSeconds that means "never" (math.MaxInt32). */
const NO_DEADLINE = 2147483647;

/** skipCopyAnnotation: annotations that belong to the Deployment or the controller. */
export function skipCopyAnnotation(key: string): boolean {
  return [LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]
    .includes(key);
}

/** specReplicas: spec.replicas with the API default 1. */
export function specReplicas(o: Deployment | ReplicaSet | undefined): number {
  return o?.spec?.replicas ?? 1;
}

/** revisionOf parses the revision annotation; 0 when absent or malformed. */
export function revisionOf(rs: ReplicaSet): number {
  const v = rs.metadata.annotations?.[REVISION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

/** maxRevision: the highest revision among rss (0 for none). */
export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** intAnnotation reads an integer annotation; undefined when absent or malformed. */
export function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * scaledValue resolves an int-or-percent against total (GetScaledValueFromIntOrPercent):
 * percentages round up for surge, down for unavailability. Validation guarantees the form.
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  const pct = m ? Number(m[1]) : Number(v);
  if (!m) return Number.isFinite(pct) ? pct : 0;
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** isRollingUpdate: the strategy is RollingUpdate (the API default). */
export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * fenceposts (ResolveFenceposts): maxSurge and maxUnavailable in pods for the desired count;
 * both zero would make no progress possible, so unavailability becomes 1.
 */
export function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = specReplicas(d);
  const surge = scaledValue(ru?.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** maxSurge: extra pods allowed above the desired count (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** maxUnavailable: pods allowed below the desired count, never more than it. */
export function maxUnavailable(d: Deployment): number {
  const desired = specReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired);
}

/** hasProgressDeadline: progressDeadlineSeconds is set and not "never". */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== NO_DEADLINE;
}

/** sumSpec: Σ spec.replicas (GetReplicaCountForReplicaSets). */
export function sumSpec(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
}

/** sumStatus: Σ of a status counter over rss. */
export function sumStatus(
  rss: readonly (ReplicaSet | undefined)[],
  field: 'replicas' | 'readyReplicas' | 'availableReplicas',
): number {
  return rss.reduce((n, rs) => n + (rs?.status?.[field] ?? 0), 0);
}

/** active: ReplicaSets with spec.replicas > 0 (FilterActiveReplicaSets). */
export function active(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

function createdMs(rs: ReplicaSet): number {
  return Date.parse(rs.metadata.creationTimestamp ?? '') || 0;
}

/** byCreation: oldest first, then by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const d = createdMs(a) - createdMs(b);
  if (d !== 0) return d;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** bySizeOlder: larger first, then older first (scaling down). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** bySizeNewer: larger first, then newer first (scaling up). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** byRevision: lowest revision first, then older first (cleanup order). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** canonicalTemplate drops the hash label and empty maps/lists (Go's nil ≡ empty). */
function canonicalTemplate(t: PodTemplateSpec | undefined): string {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  return canonicalJson(pruneEmpty(copy));
}

function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(pruneEmpty);
  if (v === null || typeof v !== 'object') return v === null ? undefined : v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = pruneEmpty(x);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** equalIgnoreHash: two templates are the same pod template (EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined):
  boolean {
  return canonicalTemplate(a) === canonicalTemplate(b);
}

/** findNewReplicaSet: the oldest ReplicaSet running d's current template (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]):
  ReplicaSet | undefined {
  const template = d.spec?.template;
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, template));
}

/**
 * Validation of the scheduling parts of a pod spec: tolerations, node and pod (anti-)affinity,
 * topology spread constraints. The scheduler trusts these shapes, so they are checked here once.
 */
import type { FieldError } from '../../errors.js';
import { child, duplicate, forbidden, index, invalid, invalidEach, notSupported, required } from '../../validation/field.js';
import { validateLabelSelector } from '../../validation/label-selector.js';
import { isLabelValue, isQualifiedName } from '../../validation/names.js';
import type {
  Affinity,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodAffinity,
  PodAffinityTerm,
  Toleration,
  TopologySpreadConstraint,
} from './pod-types.js';

const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_OPERATORS: readonly string[] = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];
const WHEN_UNSATISFIABLE: readonly string[] = ['DoNotSchedule', 'ScheduleAnyway'];

function validateToleration(t: Toleration, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (t.key) errs.push(...invalidEach(child(p, 'key'), t.key, isQualifiedName(t.key)));
  if (!t.key && t.operator !== 'Exists') {
    const why = 'operator must be Exists when `key` is empty, which means "match all values and all keys"';
    errs.push(invalid(child(p, 'operator'), t.operator ?? '', why));
  }
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    errs.push(invalid(child(p, 'effect'), t.effect ?? '',
      "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  if (t.operator === 'Equal' || t.operator === undefined) {
    errs.push(...invalidEach(child(p, 'operator'), t.value ?? '', isLabelValue(t.value ?? '')));
  } else if (t.operator === 'Exists') {
    if (t.value) errs.push(invalid(child(p, 'operator'), t,
      "value must be empty when `operator` is 'Exists'"));
  } else {
    errs.push(notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
  }
  if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(child(p, 'effect'),
    t.effect, TAINT_EFFECTS));
  return errs;
}

/** validateTolerations checks each toleration of a pod spec. */
export function validateTolerations(list: Toleration[] | undefined, path: string): FieldError[] {
  return (list ?? []).flatMap((t, i) => validateToleration(t, index(path, i)));
}

function validateNodeRequirement(r: NodeSelectorRequirement, p: string,
  field: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  const vp = child(p, 'values');
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(vp,
        "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(vp,
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(vp,
        "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(notSupported(child(p, 'operator'), r.operator, NODE_OPERATORS));
  }
  if (!field) errs.push(...invalidEach(child(p, 'key'), r.key, isQualifiedName(r.key ?? '')));
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, p: string): FieldError[] {
  return [
    ...(term.matchExpressions ?? []).flatMap((r, i) => validateNodeRequirement(r, index(child(p,
      'matchExpressions'), i), false)),
    ...(term.matchFields ?? []).flatMap((r, i) => validateNodeRequirement(r, index(child(p,
      'matchFields'), i), true)),
  ];
}

function validatePodAffinityTerm(t: PodAffinityTerm, p: string): FieldError[] {
  const errs = validateLabelSelector(t.labelSelector, child(p, 'labelSelector'));
  errs.push(...validateLabelSelector(t.namespaceSelector, child(p, 'namespaceSelector')));
  if (!t.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
  else errs.push(...invalidEach(child(p, 'topologyKey'), t.topologyKey, isQualifiedName(
    t.topologyKey)));
  return errs;
}

function validateWeight(w: number, p: string): FieldError[] {
  return w < 1 || w > 100 ? [invalid(child(p, 'weight'), w, 'must be in the range 1-100')] : [];
}

function validatePodAffinity(a: PodAffinity | undefined, p: string): FieldError[] {
  if (!a) return [];
  const req = child(p, 'requiredDuringSchedulingIgnoredDuringExecution');
  const pref = child(p, 'preferredDuringSchedulingIgnoredDuringExecution');
  return [
    ...(a.requiredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t,
      i) => validatePodAffinityTerm(t, index(req, i))),
    ...(a.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((w, i) => [
      ...validateWeight(w.weight, index(pref, i)),
      ...validatePodAffinityTerm(w.podAffinityTerm ?? { topologyKey: '' }, child(index(pref, i),
        'podAffinityTerm')),
    ]),
  ];
}

/** validateAffinity checks node affinity terms and pod (anti-)affinity terms. */
export function validateAffinity(a: Affinity | undefined, path: string): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  const np = child(path, 'nodeAffinity');
  const required_ = na?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required_) {
    const rp = child(child(np, 'requiredDuringSchedulingIgnoredDuringExecution'),
      'nodeSelectorTerms');
    if ((required_.nodeSelectorTerms ?? []).length === 0) errs.push(required(rp,
      'must have at least one node selector term'));
    required_.nodeSelectorTerms?.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, index(
      rp, i))));
  }
  const pp = child(np, 'preferredDuringSchedulingIgnoredDuringExecution');
  na?.preferredDuringSchedulingIgnoredDuringExecution?.forEach((w, i) => {
    errs.push(...validateWeight(w.weight, index(pp, i)));
    errs.push(...validateNodeSelectorTerm(w.preference ?? {}, child(index(pp, i), 'preference')));
  });
  errs.push(...validatePodAffinity(a.podAffinity, child(path, 'podAffinity')));
  errs.push(...validatePodAffinity(a.podAntiAffinity, child(path, 'podAntiAffinity')));
  return errs;
}

/** validateTopologySpread: positive skew, a key, a known policy, no duplicate key+policy pairs. */
export function validateTopologySpread(list: TopologySpreadConstraint[] | undefined,
  path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (list ?? []).forEach((c, i) => {
    const p = index(path, i);
    if (!(c.maxSkew > 0)) errs.push(invalid(child(p, 'maxSkew'), c.maxSkew ?? 0,
      'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    if (!WHEN_UNSATISFIABLE.includes(c.whenUnsatisfiable)) {
      errs.push(notSupported(child(p, 'whenUnsatisfiable'), c.whenUnsatisfiable ?? '',
        WHEN_UNSATISFIABLE));
    }
    if (c.minDomains !== undefined && !(c.minDomains > 0)) {
      errs.push(invalid(child(p, 'minDomains'), c.minDomains, 'must be greater than zero'));
    }
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) errs.push(duplicate(p, pair));
    seen.add(pair);
  });
  return errs;
}

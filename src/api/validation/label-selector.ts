/**
 * metav1.LabelSelector: its shape, its validation, and matching a label set against it. Workload
 * kinds need matching at validation time ("`selector` does not match template `labels`").
 */
import type { FieldError } from '../errors.js';
import { child, forbidden, index, invalidEach, notSupported, required } from './field.js';
import { isLabelValue, isQualifiedName } from './names.js';
import { validateLabels } from './object-meta.js';

/** LabelSelectorOperator is how one expression compares a label. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** LabelSelectorRequirement is one expression of a selector. */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/** LabelSelector selects by exact labels and expressions, ANDed together. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function validateRequirement(r: LabelSelectorRequirement, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  if (r.operator === 'In' || r.operator === 'NotIn') {
    if (values.length === 0) {
      errs.push(required(child(path, 'values'),
        "must be specified when `operator` is 'In' or 'NotIn'"));
    }
  } else if (r.operator === 'Exists' || r.operator === 'DoesNotExist') {
    if (values.length > 0) {
      const why = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'";
      errs.push(forbidden(child(path, 'values'), why));
    }
  } else {
    errs.push(notSupported(child(path, 'operator'), r.operator, OPERATORS));
  }
  errs.push(...invalidEach(child(path, 'key'), r.key, isQualifiedName(r.key ?? '')));
  values.forEach((v, j) => errs.push(...invalidEach(index(child(path, 'values'), j), v,
    isLabelValue(v))));
  return errs;
}

/** validateLabelSelector checks a selector's labels and expressions. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  (sel.matchExpressions ?? []).forEach((r, i) => {
    errs.push(...validateRequirement(r, index(child(path, 'matchExpressions'), i)));
  });
  return errs;
}

/** selectorIsEmpty: a selector with nothing in it (matches everything, or nothing for workloads). */
export function selectorIsEmpty(sel: LabelSelector | undefined): boolean {
  if (!sel) return true;
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (
    sel.matchExpressions ?? []).length === 0;
}

function requirementMatches(r: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return !has || value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** selectorMatches: every matchLabels entry and every expression holds for the labels. */
export function selectorMatches(sel: LabelSelector, labels: Record<string,
  string> | undefined): boolean {
  const set = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (set[k] !== v) return false;
  }
  return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, set));
}

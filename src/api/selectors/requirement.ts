/**
 * Selector requirements: one term of a label selector, built and validated with kube-apiserver's
 * rules and messages (apimachinery labels.NewRequirement), shared by the query-string parser and
 * by metav1.LabelSelector objects.
 */
import { fieldErrorMessage, type FieldError } from '../errors.js';
import { isLabelValue, isQualifiedName } from '../validation/names.js';

/** Operator is a requirement's operator, spelt as upstream's selection.Operator. */
export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** Requirement is one term of a selector: key, operator and (for most operators) values. */
export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and de-duplicated for in/notin, one value for =, ==, !=, gt, lt; [] otherwise. */
  values: readonly string[];
}

/** INTEGER: what gt/lt accept (Go's strconv.ParseInt, base 10). */
export const INTEGER = /^[+-]?\d+$/;

/** SelectorError is a selector that does not parse; callers turn it into a 400. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/**
 * newRequirement validates and builds one requirement. `path` names the field in messages:
 * undefined for query strings (upstream prints "key", "values[0]"), or a field path for
 * metav1.LabelSelector objects. Throws the aggregated message as upstream formats it.
 */
export function newRequirement(key: string, operator: Operator, values: readonly string[],
  path?: string): Requirement {
  const errs = requirementErrors(key, operator, values, path);
  if (errs.length > 0) throw new SelectorError(aggregate(errs.map(fieldErrorMessage)));
  const sorted = operator === 'in' || operator === 'notin' ? sortedSet(values) : [...values];
  return { key, operator, values: sorted };
}

function requirementErrors(key: string, op: Operator, values: readonly string[],
  path: string | undefined): FieldError[] {
  const at = (child: string): string => (path ? `${path}.${child}` : child);
  const errs: FieldError[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalidField(at('key'), key, keyErrs.join('; ')));
  const valuesPath = at('values');
  const countRule = VALUE_COUNT_RULES[op];
  if (!countRule.ok(values.length)) errs.push(invalidField(valuesPath, [...values], countRule.msg));
  if (op === 'gt' || op === 'lt') {
    values.forEach((v, i) => {
      if (!INTEGER.test(v)) {
        const msg = "for 'Gt', 'Lt' operators, the value must be an integer";
        errs.push(invalidField(`${valuesPath}[${i}]`, v, msg));
      }
    });
  }
  values.forEach((v, i) => {
    const valueErrs = isLabelValue(v);
    if (valueErrs.length > 0) {
      errs.push(invalidField(`${valuesPath}[${i}][${key}]`, v, valueErrs.join('; ')));
    }
  });
  return errs;
}

const VALUE_COUNT_RULES: Record<Operator, { ok: (n: number) => boolean; msg: string }> = {
  in: { ok: (n) => n > 0, msg: "for 'in', 'notin' operators, values set can't be empty" },
  notin: { ok: (n) => n > 0, msg: "for 'in', 'notin' operators, values set can't be empty" },
  '=': { ok: (n) => n === 1, msg: 'exact-match compatibility requires one single value' },
  '==': { ok: (n) => n === 1, msg: 'exact-match compatibility requires one single value' },
  '!=': { ok: (n) => n === 1, msg: 'exact-match compatibility requires one single value' },
  exists: { ok: (n) => n === 0, msg: 'values set must be empty for exists and does not exist' },
  '!': { ok: (n) => n === 0, msg: 'values set must be empty for exists and does not exist' },
  gt: { ok: (n) => n === 1, msg: "for 'Gt', 'Lt' operators, exactly one value is required" },
  lt: { ok: (n) => n === 1, msg: "for 'Gt', 'Lt' operators, exactly one value is required" },
};

function invalidField(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

/** aggregate joins messages as apimachinery's Aggregate prints them (deduplicated, bracketed). */
export function aggregate(msgs: readonly string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

function sortedSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** compareStrings orders by UTF-16 code units, which equals Go's byte order for ASCII keys. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

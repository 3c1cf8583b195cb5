/**
 * Label selectors: the `labelSelector` query parameter (`app=web,tier notin (db),!canary`) and the
 * metav1.LabelSelector objects of Deployments, ReplicaSets, Services' controllers. Both become one
 * Selector, a conjunction of requirements, so lists, watches and controllers match the same way.
 *
 * The grammar, the error texts and the canonical string form are kube-apiserver's (apimachinery
 * labels.Parse): clients see the same 400 messages and `kubectl describe` prints the same
 * selector strings. A parse error is a StatusError 400 BadRequest carrying upstream's text.
 */
import { badRequest } from '../errors.js';
import { isJsonObject } from '../meta.js';
import { parseRequirements } from './label-parser.js';
import {
  compareStrings,
  INTEGER,
  newRequirement,
  SelectorError,
  type Operator,
  type Requirement,
} from './requirement.js';

export { compareStrings, newRequirement, SelectorError, type Operator, type Requirement };

/** LIMIT: the longest selector string accepted; a bound on parser work per request. */
export const MAX_SELECTOR_LENGTH = 64 * 1024;

/** Selector is an immutable conjunction of requirements. */
export class Selector {
  /**
   * @param requirements sorted by key (stable), as upstream keeps them.
   * @param nothing true for the selector that matches no object (a nil metav1.LabelSelector).
   */
  constructor(
    readonly requirements: readonly Requirement[],
    readonly nothing = false,
  ) {}

  /** matches tells whether a label set satisfies every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    if (this.nothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  /** isEmpty: the selector matches everything (no requirements). */
  isEmpty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** toString is upstream's canonical form: "app=web,tier in (a,b),!canary"; "" when empty. */
  toString(): string {
    return this.nothing ? '' : this.requirements.map(requirementString).join(',');
  }
}

/** everything matches every object. */
export function everything(): Selector {
  return new Selector([]);
}

/** nothing matches no object. */
export function nothing(): Selector {
  return new Selector([], true);
}

function requirementMatches(r: Requirement, ls: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(ls, r.key);
  const value = has ? ls[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt':
      return compareInts(r, value);
  }
}

function compareInts(r: Requirement, value: string | undefined): boolean {
  if (value === undefined || !INTEGER.test(value) || r.values.length !== 1) return false;
  const have = BigInt(value);
  const want = BigInt(r.values[0] ?? '0');
  return r.operator === 'gt' ? have > want : have < want;
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values.join(',')}`;
    case 'lt':
      return `${r.key}<${r.values.join(',')}`;
    default:
      return `${r.key}${r.operator}${r.values.join(',')}`;
  }
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => compareStrings(a.key, b.key));
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector objects.

const EXPRESSION_OPERATORS: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * fromLabelSelector converts a metav1.LabelSelector ({matchLabels, matchExpressions}) as
 * controllers and printers need it: null/undefined selects nothing, {} selects everything
 * (upstream LabelSelectorAsSelector). Throws a 400 StatusError for an invalid selector.
 */
export function fromLabelSelector(sel: unknown): Selector {
  if (sel === null || sel === undefined) return nothing();
  if (!isJsonObject(sel)) throw badRequest('invalid label selector: not an object');
  const matchLabels = isJsonObject(sel.matchLabels) ? sel.matchLabels : {};
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  try {
    const reqs: Requirement[] = [];
    for (const [k, v] of Object.entries(matchLabels)) {
      reqs.push(newRequirement(k, '=', [typeof v === 'string' ? v : String(v)]));
    }
    for (const e of exprs) reqs.push(expressionRequirement(e));
    return new Selector(sortByKey(reqs));
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

function expressionRequirement(e: unknown): Requirement {
  const expr = isJsonObject(e) ? e : {};
  const opName = typeof expr.operator === 'string' ? expr.operator : '';
  const op = EXPRESSION_OPERATORS[opName];
  if (op === undefined) {
    throw new SelectorError(`"${opName}" is not a valid label selector operator`);
  }
  const key = typeof expr.key === 'string' ? expr.key : '';
  const values = Array.isArray(expr.values) ? expr.values.map((v) => String(v)) : [];
  return newRequirement(key, op, values);
}

/**
 * formatLabelSelector renders a metav1.LabelSelector for Table cells and describe output:
 * "<none>" when it selects everything or nothing, "<error>" when invalid (metav1
 * FormatLabelSelector).
 */
export function formatLabelSelector(sel: unknown): string {
  try {
    const s = fromLabelSelector(sel).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

// ---------------------------------------------------------------------------------------------
// The query-string grammar.

/**
 * parseLabelSelector parses a `labelSelector` query value. "" selects everything. Throws a 400
 * StatusError with upstream's message (e.g. "unable to parse requirement: ...").
 */
export function parseLabelSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw badRequest(`label selector longer than ${MAX_SELECTOR_LENGTH} characters`);
  }
  try {
    return new Selector(sortByKey(parseRequirements(text)));
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

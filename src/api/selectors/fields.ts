/**
 * Field selectors: the `fieldSelector` query parameter (`spec.nodeName=n1,status.phase!=Failed`),
 * which kubectl sends for describe, delete --wait, rollout status and drain. Terms are joined by
 * commas; each is `field=value`, `field==value` or `field!=value`. In values, `\,` `\=` and `\\`
 * escape the three special characters; an unescaped `,` or `=` in a value is an error.
 *
 * Parsing does not know which fields a resource supports: the caller checks requiredFields()
 * against the kind's field labels and rejects others with unsupportedFieldError(), as
 * kube-apiserver does ("field label not supported: foo"). Messages are upstream's.
 */
import { badRequest, type StatusError } from '../errors.js';
import { compareStrings } from './requirement.js';

/** FieldOperator: "=" and "==" are the same test; "!=" is its negation. */
export type FieldOperator = '=' | '==' | '!=';

/** FieldRequirement is one term: the field's value must (or must not) equal `value`. */
export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  /** Unescaped. */
  value: string;
}

/** MAX_FIELD_SELECTOR_LENGTH bounds parser work per request. */
export const MAX_FIELD_SELECTOR_LENGTH = 64 * 1024;

/** FieldSelector is an immutable conjunction of field requirements. */
export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  /**
   * matches tests an object's field labels (e.g. {"metadata.name": "web", "status.phase":
   * "Running"}); a field missing from the map reads as "", as upstream's Fields.Get does.
   */
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const have = Object.prototype.hasOwnProperty.call(fields, r.field) ? fields[r.field] : '';
      return r.operator === '!=' ? have !== r.value : have === r.value;
    });
  }

  /** requiredFields lists the distinct fields the selector names, in order. */
  requiredFields(): string[] {
    return [...new Set(this.requirements.map((r) => r.field))];
  }

  /**
   * exactMatch returns the value a field must equal, when a term demands it; lets storage
   * narrow a list by metadata.name or metadata.namespace before filtering.
   */
  exactMatch(field: string): string | undefined {
    const r = this.requirements.find((x) => x.field === field && x.operator !== '!=');
    return r?.value;
  }

  /** isEmpty: the selector matches everything. */
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** toString renders the canonical form (terms sorted, values escaped). */
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

/**
 * parseFieldSelector parses a `fieldSelector` query value; "" matches everything. Throws a 400
 * StatusError with upstream's message on a malformed term or escape.
 */
export function parseFieldSelector(text: string): FieldSelector {
  if (text.length > MAX_FIELD_SELECTOR_LENGTH) {
    throw badRequest(`field selector longer than ${MAX_FIELD_SELECTOR_LENGTH} characters`);
  }
  const terms = splitTerms(text).sort(compareStrings);
  const out: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    out.push({ field: split.field, operator: split.operator, value: unescapeValue(split.rhs) });
  }
  return new FieldSelector(out);
}

/**
 * unsupportedFieldError rejects a selector naming a field outside `allowed` with the error
 * kube-apiserver gives; undefined when every field is supported.
 */
export function unsupportedFieldError(sel: FieldSelector, allowed: Iterable<string>):
  StatusError | undefined {
  const ok = new Set(allowed);
  const bad = sel.requiredFields().find((f) => !ok.has(f));
  return bad === undefined ? undefined : badRequest(`field label not supported: ${bad}`);
}

/** splitTerms cuts at commas that are not escaped by a backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator occurrence splits the term; "!=" and "==" win over "=" at one position. */
const TERM_OPERATORS: readonly FieldOperator[] = ['!=', '==', '='];

interface SplitTerm {
  field: string;
  operator: FieldOperator;
  rhs: string;
}

function splitTerm(term: string): SplitTerm | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) {
        return { field: term.slice(0, i), operator: op, rhs: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

/** unescapeValue undoes `\\`, `\,` and `\=`; rejects other escapes and bare `,` or `=`. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw invalidEscape(`\\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune as its code point (%v of a rune).
      throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw invalidEscape('\\');
  return out;
}

function invalidEscape(sequence: string): StatusError {
  return badRequest(`invalid field selector: invalid escape sequence: ${sequence}`);
}

/** escapeValue is unescapeValue's inverse, for building selectors programmatically. */
export function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

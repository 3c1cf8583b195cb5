/**
 * The label selector query grammar, a small recursive-descent parser over a token list:
 *
 *   selector    := "" | requirement ("," requirement)*
 *   requirement := ["!"] KEY [ ("in" | "notin") "(" values ")" | op VALUE ]
 *   op          := "=" | "==" | "!=" | ">" | "<"
 *
 * "in" and "notin" are keywords only where an operator is expected, so `in in (in)` is legal.
 * The messages are kube-apiserver's word for word, including their oddities (a missing ','
 * after "found '...'" in one of them, "<nil>" as the field of an invalid key), because kubectl
 * users paste them into searches.
 */
import { fieldErrorMessage } from '../errors.js';
import { isQualifiedName } from '../validation/names.js';
import { newRequirement, SelectorError, type Operator, type Requirement } from './requirement.js';

type Tok =
  | 'error'
  | 'end'
  | '('
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | '<'
  | '!='
  | 'in'
  | 'notin'
  | 'id';

interface Token {
  tok: Tok;
  lit: string;
}

const SYMBOLS: ReadonlySet<string> = new Set(['(', ')', ',', '!', '==', '=', '>', '<', '!=']);
const SPECIAL = '=!(),><';
const WHITESPACE = ' \t\r\n';
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** lex splits the selector into tokens; the last one is always 'end' (or an 'error'). */
function lex(s: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && WHITESPACE.includes(s[pos] ?? '')) pos++;
    if (pos >= s.length) {
      out.push({ tok: 'end', lit: '' });
      return out;
    }
    const scanned = SPECIAL.includes(s[pos] ?? '') ? scanSymbol(s, pos) : scanWord(s, pos);
    out.push(scanned.token);
    pos = scanned.next;
  }
}

/** scanSymbol takes the longest operator that is a prefix of the run of special characters. */
function scanSymbol(s: string, start: number): { token: Token; next: number } {
  let end = start;
  let best: Token | undefined;
  let bestEnd = start;
  while (end < s.length && SPECIAL.includes(s[end] ?? '')) {
    end++;
    const candidate = s.slice(start, end);
    if (SYMBOLS.has(candidate)) {
      best = { tok: candidate as Tok, lit: candidate };
      bestEnd = end;
    } else if (best) {
      break;
    }
  }
  if (!best) {
    const lit = `error expected: keyword found '${s.slice(start, end)}'`;
    const token: Token = { tok: 'error', lit };
    return { token, next: end };
  }
  return { token: best, next: bestEnd };
}

function scanWord(s: string, start: number): { token: Token; next: number } {
  let end = start;
  while (end < s.length && !SPECIAL.includes(s[end] ?? '') && !WHITESPACE.includes(s[end] ?? '')) {
    end++;
  }
  const lit = s.slice(start, end);
  const tok: Tok = lit === 'in' || lit === 'notin' ? lit : 'id';
  return { token: { tok, lit }, next: end };
}

/** Parser walks the token list; `values` context reads keywords as identifiers. */
class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  peek(values: boolean): Token {
    return this.asContext(this.tokens[this.pos] ?? { tok: 'end', lit: '' }, values);
  }

  next(values: boolean): Token {
    const t = this.peek(values);
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private asContext(t: Token, values: boolean): Token {
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id', lit: t.lit } : t;
  }
}

/** parseRequirements parses a selector into requirements (unsorted); throws SelectorError. */
export function parseRequirements(text: string): Requirement[] {
  const p = new Parser(lex(text));
  const out: Requirement[] = [];
  for (;;) {
    const t = p.peek(true);
    if (t.tok === 'end') return out;
    if (t.tok !== 'id' && t.tok !== '!') {
      throw new SelectorError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    }
    out.push(requirementOrThrow(p));
    const sep = p.next(true);
    if (sep.tok === 'end') return out;
    if (sep.tok !== ',') {
      throw new SelectorError(`found '${sep.lit}', expected: ',' or 'end of string'`);
    }
    const after = p.peek(true);
    if (after.tok !== 'id' && after.tok !== '!') {
      throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
    }
  }
}

function requirementOrThrow(p: Parser): Requirement {
  try {
    return parseRequirement(p);
  } catch (err) {
    if (err instanceof SelectorError) {
      throw new SelectorError(`unable to parse requirement: ${err.message}`);
    }
    throw err;
  }
}

function parseRequirement(p: Parser): Requirement {
  let t = p.next(true);
  let negated = false;
  if (t.tok === '!') {
    negated = true;
    t = p.next(true);
  }
  if (t.tok !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
  const key = t.lit;
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) {
    const e = { type: 'FieldValueInvalid' as const, field: '<nil>', badValue: key };
    throw new SelectorError(fieldErrorMessage({ ...e, detail: keyErrs.join('; ') }));
  }
  const la = p.peek(true).tok;
  if (negated || la === 'end' || la === ',') {
    // A bare key means "exists"; "!key" means "does not exist" (anything else is then an error
    // of the caller's separator check, as upstream).
    return newRequirement(key, negated ? '!' : 'exists', []);
  }
  const op = parseOperator(p);
  const values = op === 'in' || op === 'notin' ? parseValueSet(p) : parseExactValue(p);
  return newRequirement(key, op, [...new Set(values)].sort());
}

const OPERATOR_OF: Partial<Record<Tok, Operator>> = {
  in: 'in',
  notin: 'notin',
  '=': '=',
  '==': '==',
  '!=': '!=',
  '>': 'gt',
  '<': 'lt',
};

function parseOperator(p: Parser): Operator {
  const t = p.next(false);
  const op = OPERATOR_OF[t.tok];
  if (op === undefined) throw new SelectorError(`found '${t.lit}', expected: ${BINARY_OPERATORS}`);
  return op;
}

function parseValueSet(p: Parser): string[] {
  const open = p.next(true);
  if (open.tok !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
  const first = p.peek(true);
  if (first.tok === ')') {
    p.next(true);
    return [''];
  }
  if (first.tok !== 'id' && first.tok !== ',') {
    throw new SelectorError(`found '${first.lit}', expected: ',', ')' or identifier`);
  }
  const values = parseIdentifierList(p);
  if (p.next(true).tok !== ')') throw new SelectorError(`found '${first.lit}', expected: ')'`);
  return values;
}

/** parseIdentifierList reads "a,b", allowing empty values ("(,a)", "(a,,b)", "(a,)"). */
function parseIdentifierList(p: Parser): string[] {
  const values: string[] = [];
  for (;;) {
    const t = p.next(true);
    if (t.tok === 'id') {
      values.push(t.lit);
      const la = p.peek(true);
      if (la.tok === ',') continue;
      if (la.tok === ')') return values;
      throw new SelectorError(`found '${la.lit}', expected: ',' or ')'`);
    }
    if (t.tok !== ',') throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
    if (values.length === 0) values.push('');
    const la = p.peek(true).tok;
    if (la === ')') {
      values.push('');
      return values;
    }
    if (la === ',') values.push('');
  }
}

function parseExactValue(p: Parser): string[] {
  const la = p.peek(true).tok;
  if (la === 'end' || la === ',') return [''];
  const t = p.next(true);
  if (t.tok === 'id') return [t.lit];
  throw new SelectorError(`found '${t.lit}', expected: identifier`);
}

/**
 * Small field validators many kinds share: non-negative numbers, immutability, protocols, port
 * numbers and names, int-or-percent values, resource quantities.
 */
import type { FieldError } from '../errors.js';
import { invalid, invalidEach, notSupported, required } from './field.js';
import { isValidPercent, isValidPortName, isValidPortNum } from './names.js';
import { parseQuantity, type Quantity, quantityString } from './quantity.js';

/** FIELD_IMMUTABLE is the detail of every immutable-field error. */
export const FIELD_IMMUTABLE = 'field is immutable';
/** IS_NEGATIVE is upstream's detail for a negative count or duration. */
export const IS_NEGATIVE = 'must be greater than or equal to 0';

/** sameValue compares JSON values structurally (key order ignored), as semantic equality does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) {
    if (!sameValue(ao[k], bo[k])) return false;
  }
  return true;
}

/** immutable: "field is immutable" when the value changed. */
export function immutable(value: unknown, old: unknown, path: string): FieldError[] {
  return sameValue(value, old) ? [] : [invalid(path, value ?? null, FIELD_IMMUTABLE)];
}

/** nonNegative: counts, seconds and limits that may be 0 but not less. */
export function nonNegative(value: number | undefined, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  return value < 0 ? [invalid(path, value, IS_NEGATIVE)] : [];
}

/** PROTOCOLS are the transport protocols of ports, in upstream's (sorted) listing order. */
export const PROTOCOLS: readonly string[] = ['SCTP', 'TCP', 'UDP'];

/** validateProtocol: required, and one of TCP/UDP/SCTP. */
export function validateProtocol(protocol: string | undefined, path: string): FieldError[] {
  if (!protocol) return [required(path)];
  return PROTOCOLS.includes(protocol) ? [] : [notSupported(path, protocol, PROTOCOLS)];
}

/** validatePortNum: a port number 1..65535. */
export function validatePortNum(port: number | undefined, path: string): FieldError[] {
  return invalidEach(path, port ?? 0, isValidPortNum(port ?? 0));
}

/** validatePortNumOrName: a targetPort or probe port — a number, or an IANA service name. */
export function validatePortNumOrName(port: number | string | undefined,
  path: string): FieldError[] {
  if (typeof port === 'number') return validatePortNum(port, path);
  if (typeof port === 'string') {
    if (port === '') return [required(path)];
    return invalidEach(path, port, isValidPortName(port));
  }
  return [required(path)];
}

/**
 * validateIntOrPercent: a non-negative integer, or "N%" no more than 100% (maxSurge,
 * maxUnavailable).
 */
export function validateIntOrPercent(v: number | string | undefined, path: string): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'string') {
    const msgs = isValidPercent(v);
    if (msgs.length > 0) return invalidEach(path, v, msgs);
    return Number(v.slice(0, -1)) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
  }
  return nonNegative(v, path);
}

/** intOrPercentIsZero: "0" and "0%" both mean zero (maxSurge and maxUnavailable both 0 is invalid). */
export function intOrPercentIsZero(v: number | string | undefined): boolean {
  if (v === undefined) return false;
  return typeof v === 'number' ? v === 0 : /^0+%$/.test(v);
}

/**
 * validateQuantity parses one resource quantity at `path`; returns the value too so callers can
 * compare requests with limits without parsing twice.
 */
export function validateQuantity(raw: unknown, path: string): { errs: FieldError[]; q?: Quantity } {
  const q = parseQuantity(raw);
  if (typeof q === 'string') return { errs: [invalid(path, raw, q)] };
  if (q.nanos < 0n) return { errs: [invalid(path, quantityString(q), IS_NEGATIVE)], q };
  return { errs: [], q };
}

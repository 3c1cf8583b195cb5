/**
 * Field errors and field paths, shaped as apimachinery's field package builds them, so every
 * validator states *what* is wrong and the message text follows from the error type alone
 * (errors.ts renders them). Paths are plain strings in Kubernetes' notation:
 * `spec.containers[0].ports[1].containerPort`, `metadata.labels`, `data[key]`.
 */
import type { FieldError } from '../errors.js';

/** child appends a field name: child("spec", "replicas") → "spec.replicas". */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** index appends a list index: index("spec.containers", 0) → "spec.containers[0]". */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** key appends a map key: key("data", "a.b") → "data[a.b]" (upstream does not quote keys). */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** required: "Required value" (optionally with a detail), no value shown. */
export function required(field: string, detail = ''): FieldError {
  return detail ? { type: 'FieldValueRequired', field, detail } : { type: 'FieldValueRequired',
    field };
}

/** invalid: "Invalid value: <value>: <detail>". */
export function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

/** notSupported: "Unsupported value: <value>: supported values: "A", "B"" in the order given. */
export function notSupported(field: string, badValue: unknown,
  values: readonly string[]): FieldError {
  const detail = values.length > 0 ? `supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return detail
    ? { type: 'FieldValueNotSupported', field, badValue, detail }
    : { type: 'FieldValueNotSupported', field, badValue };
}

/** duplicate: "Duplicate value: <value>". */
export function duplicate(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue };
}

/** notFound: "Not found: <value>" (e.g. a volumeMount naming no volume). */
export function notFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue };
}

/** forbidden: "Forbidden: <detail>", no value shown. */
export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

/**
 * tooLong: "Too long: must have at most N bytes". The value is left out on purpose: upstream
 * never prints a too-long value (it may be 256 KiB of annotations).
 */
export function tooLong(field: string, maxBytes: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: `must have at most ${maxBytes} bytes` };
}

/** invalidEach turns a validator's message list into one Invalid error per message. */
export function invalidEach(field: string, value: unknown, msgs: readonly string[]): FieldError[] {
  return msgs.map((m) => invalid(field, value, m));
}

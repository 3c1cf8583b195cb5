/**
 * Kubernetes-shaped errors. Every failure an API client can see is a metav1.Status with the exact
 * `reason` strings kubectl and client-go branch on (NotFound, AlreadyExists, Conflict, Invalid,
 * Gone...) and messages worded as kube-apiserver words them, so `kubectl` prints
 * `Error from server (NotFound): pods "web" not found` here as it does against Kubernetes.
 */
import type { JsonObject } from './meta.js';

/** StatusReason is metav1.StatusReason: what kind of failure, machine-readable. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** CauseType is metav1.CauseType; the field-error ones name what is wrong with a field. */
export type CauseType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid'
  | 'UnexpectedServerResponse'
  | 'FieldManagerConflict'
  | 'ResourceVersionTooLarge';

/** StatusCause is one cause inside Status.details.causes. */
export interface StatusCause {
  reason?: CauseType | string;
  message?: string;
  field?: string;
}

/** StatusDetails names the object the failure is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource ("pods") for most reasons; the kind ("Pod") for Invalid, as upstream does. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Status is metav1.Status as it goes on the wire. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: JsonObject;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** FieldError is one validation failure of one field (field.Error in apimachinery). */
export interface FieldError {
  type: Exclude<CauseType, 'InternalError' | 'UnexpectedServerResponse'>;
  /** JSON path in Kubernetes' notation: spec.containers[0].ports[1].containerPort. */
  field: string;
  /** The offending value, rendered into the message; absent for Required and Forbidden. */
  badValue?: unknown;
  /** Human detail after the value: "must be no more than 63 characters". */
  detail?: string;
}

/** StatusError is a failure that leaves the server as a Status; throw it from any layer. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? 'InternalError';
  }
}

/** GroupResource names a resource for messages: "pods", "deployments.apps". */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function details(gr: GroupResource, name: string): StatusDetails {
  return { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

/** notFound: 404 `pods "web" not found`. */
export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));
}

/** unknownPath: 404 for a URL or resource the server does not serve (kube-apiserver's text). */
export function unknownPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/**
 * forbidden: 403 about one object, with the whole message given (what the caller may not do and
 * why); details name the object so a client can tell which one refused it.
 */
export function forbidden(gr: GroupResource, name: string, message: string): StatusError {
  return new StatusError(403, 'Forbidden', message, details(gr, name));
}

/** alreadyExists: 409 `pods "web" already exists`. */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  const msg = `${qualified(gr)} "${name}" already exists`;
  return new StatusError(409, 'AlreadyExists', msg, details(gr, name));
}

/** conflict: 409 with upstream's optimistic-concurrency wording after the colon. */
export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  const msg = `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`;
  return new StatusError(409, 'Conflict', msg, details(gr, name));
}

/** The text kube-apiserver uses when a client's resourceVersion is stale. */
export const STALE_OBJECT_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** badRequest: 400 with a plain message. */
export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

/** gone: 410 Expired, what watches and lists get for a compacted resourceVersion. */
export function gone(message = 'too old resource version'): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** methodNotAllowed: 405 for a verb the resource does not support. */
export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

/** unsupportedMediaType: 415, e.g. an unknown patch Content-Type. */
export function unsupportedMediaType(contentType: string): StatusError {
  const msg = `the body of the request was in an unknown format - accepted media types include: ${contentType}`;
  return new StatusError(415, 'UnsupportedMediaType', msg);
}

/** unauthorized: 401, what kubectl turns into "You must be logged in to the server". */
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/** tooLarge: 413 for request bodies over the limit. */
export function tooLarge(limitBytes: number): StatusError {
  const msg = `the request body is too large: limit is ${limitBytes} bytes`;
  return new StatusError(413, 'RequestEntityTooLarge', msg);
}

/** internalError: 500; the cause is logged by the caller, never leaked beyond its message. */
export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/**
 * isTooLargeResourceVersion: 504 with cause ResourceVersionTooLarge, what an API server answers
 * when its cache did not reach the revision asked for in time, and what the storage layer makes of
 * the store's future-revision error (client-go's isTooLargeResourceVersionError, which also
 * accepts the bare message from older servers).
 */
export function isTooLargeResourceVersion(e: unknown): boolean {
  if (!isStatusError(e) || e.code !== 504) return false;
  const s = e.status;
  const causes = s.details?.causes ?? [];
  return causes.some((c) => c.reason === 'ResourceVersionTooLarge') ||
    (s.message ?? '').includes('Too large resource version');
}

/** unavailable: 503 when the store cannot answer (no leader, timeout). */
export function unavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

const CAUSE_TEXT: Record<FieldError['type'], string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldManagerConflict: 'Conflict',
  ResourceVersionTooLarge: 'Too large resource version',
};

/**
 * renderValue prints a bad value as apimachinery does: strings quoted, numbers bare, and string
 * maps and lists in Go's %#v form (`map[string]string{"app":"web"}`, `[]string{"a", "b"}`), the
 * form users know from "`selector` does not match template `labels`".
 */
function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  }
  const values = typeof v === 'object' && !Array.isArray(v) ? Object.values(v) : [];
  if (values.length > 0 && values.every((x) => typeof x === 'string')) {
    const pairs = Object.entries(v as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[string]string{${pairs.map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** fieldErrorMessage: "spec.replicas: Invalid value: -1: must be greater than or equal to 0". */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${causeMessage(e)}`;
}

function causeMessage(e: FieldError): string {
  const head = CAUSE_TEXT[e.type];
  const withValue = 'badValue' in e && e.type !== 'FieldValueRequired' && e.type !== 'FieldValueForbidden';
  const value = withValue ? `: ${renderValue(e.badValue)}` : '';
  return e.detail ? `${head}${value}: ${e.detail}` : `${head}${value}`;
}

/**
 * invalid: 422 `Pod "web" is invalid: <errors>`; one error prints bare, several in brackets, each
 * also a cause naming its field (details.kind is the Kind here, as upstream does).
 */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
  const lines = errs.map(fieldErrorMessage);
  const joined = lines.length === 1 ? (lines[0] ?? '') : `[${lines.join(', ')}]`;
  const causes: StatusCause[] = errs.map((e) => ({
    reason: e.type,
    message: causeMessage(e),
    field: e.field,
  }));
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}

/** isStatusError narrows unknown throwables. */
export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

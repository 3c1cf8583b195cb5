/**
 * Server-side apply (`application/apply-patch+yaml`) and managedFields bookkeeping for every
 * other write. Pure: the caller passes the time and stores the result.
 */
export { applyPatch, conflictError, fieldManagerRequired, recordUpdate } from './managed-fields.js';
export type { ApplyInput, ApplyResult, UpdateInput } from './managed-fields.js';
export { fromFieldsV1, pathString, toFieldsV1 } from './field-set.js';
export type { FieldNode, FieldPath } from './field-set.js';

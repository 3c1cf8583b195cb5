/**
 * Request option values both API faces accept, checked once with kube-apiserver's messages: a
 * REST query parameter and a component-API request field with the same bad value get the same
 * 400 (or 415) Status.
 */
import { badRequest, unsupportedMediaType } from '../../api/errors.js';
import type { DeleteOptions, FieldValidation, ListOptions, PatchType } from './types.js';

/** PATCH_TYPES are the patch media types the registry applies. */
export const PATCH_TYPES: readonly PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** fieldValidation checks a fieldValidation value ("" or absent = the server default). */
export function fieldValidation(v: string | undefined): FieldValidation | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(v)}`);
}

/** fieldManager checks a manager name's length (upstream's 128-byte limit). */
export function fieldManager(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (v.length > 128) throw badRequest('fieldManager: Too long: must have at most 128 bytes');
  return v;
}

/** resourceVersionMatch checks a list's resourceVersionMatch. */
export function resourceVersionMatch(v: string | undefined): ListOptions['resourceVersionMatch'] {
  if (v === undefined || v === '') return undefined;
  if (v === 'Exact' || v === 'NotOlderThan') return v;
  throw badRequest(`resourceVersionMatch: Unsupported value: "${v}": supported values: "Exact", "NotOlderThan"`);
}

/** propagationPolicy checks a delete's propagationPolicy. */
export function propagationPolicy(v: string | undefined): DeleteOptions['propagationPolicy'] {
  if (v === undefined || v === '') return undefined;
  if (v === 'Orphan' || v === 'Background' || v === 'Foreground') return v;
  throw badRequest(`propagationPolicy: Unsupported value: "${v}": supported values: "Foreground", "Background", "Orphan"`);
}

/** patchType checks a patch's media type (415 when unknown) and that force goes with apply. */
export function patchType(type: string, force: boolean): PatchType {
  if (!PATCH_TYPES.includes(type as PatchType)) throw unsupportedMediaType(PATCH_TYPES.join(', '));
  if (force && type !== 'application/apply-patch+yaml') {
    throw badRequest('force: Forbidden: may not be specified for non-apply patch');
  }
  return type as PatchType;
}

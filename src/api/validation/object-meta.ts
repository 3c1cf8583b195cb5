/**
 * ObjectMeta validation (apimachinery api/validation): the rules every kind shares for names,
 * namespaces, labels, annotations, owner references and finalizers, on create and on update.
 */
import type { FieldError } from '../errors.js';
import type { ObjectMeta, OwnerReference } from '../meta.js';
import { splitApiVersion } from '../meta.js';
import { child, forbidden, invalid, invalidEach, required, tooLong } from './field.js';
import { immutable, nonNegative } from './common.js';
import { isLabelValue, isQualifiedName, nameIsDnsLabel, type NameValidator } from './names.js';

/** TOTAL_ANNOTATION_SIZE_BYTES is 256 KiB: annotations ride along in every watch event. */
export const TOTAL_ANNOTATION_SIZE_BYTES = 256 * 1024;

/** validateLabels checks keys as qualified names and values as label values. */
export function validateLabels(labels: Record<string, string> | undefined,
  path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...invalidEach(path, k, isQualifiedName(k)));
    if (typeof v !== 'string') errs.push(invalid(path, v, 'must be a string'));
    else errs.push(...invalidEach(path, v, isLabelValue(v)));
  }
  return errs;
}

/** validateAnnotations checks keys (case-insensitively) and the 256 KiB total. */
export function validateAnnotations(ann: Record<string, string> | undefined,
  path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(ann ?? {})) {
    errs.push(...invalidEach(path, k, isQualifiedName(k.toLowerCase())));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  if (total > TOTAL_ANNOTATION_SIZE_BYTES) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_BYTES));
  return errs;
}

function validateOwnerReference(ref: OwnerReference, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const gv = splitApiVersion(ref.apiVersion ?? '');
  if (!gv.version) errs.push(invalid(child(path, 'apiVersion'), ref.apiVersion ?? '',
    'version must not be empty'));
  if (!ref.kind) errs.push(invalid(child(path, 'kind'), ref.kind ?? '', 'must not be empty'));
  if (!ref.name) errs.push(invalid(child(path, 'name'), ref.name ?? '', 'must not be empty'));
  if (!ref.uid) errs.push(invalid(child(path, 'uid'), ref.uid ?? '', 'must not be empty'));
  if (gv.group === '' && gv.version === 'v1' && ref.kind === 'Event') {
    errs.push(invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
  }
  return errs;
}

/** validateOwnerReferences: each reference complete, and at most one controller. */
export function validateOwnerReferences(refs: OwnerReference[] | undefined,
  path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, path));
    if (ref.controller !== true) continue;
    const name = `${ref.kind}/${ref.name}`;
    if (firstController === '') firstController = name;
    else {
      const why = 'Only one reference can have Controller set to true. ' +
        `Found "true" in references for ${firstController} and ${name}`;
      errs.push(invalid(path, refs, why));
    }
  }
  return errs;
}

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

/** validateFinalizers: qualified names; orphan and foregroundDeletion exclude each other. */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const list = finalizers ?? [];
  const errs = list.flatMap((f) => invalidEach(path, f, isQualifiedName(f)));
  if (list.includes(ORPHAN) && list.includes(FOREGROUND)) {
    errs.push(invalid(path, list, `finalizer ${ORPHAN} and ${FOREGROUND} cannot be both set`));
  }
  return errs;
}

/** MetaRules says how one kind's metadata is checked. */
export interface MetaRules {
  namespaced: boolean;
  nameFn: NameValidator;
}

function validateMetaCommon(m: ObjectMeta, rules: MetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const ns = m.namespace ?? '';
  if (rules.namespaced) {
    if (ns === '') errs.push(required('metadata.namespace'));
    else errs.push(...invalidEach('metadata.namespace', ns, nameIsDnsLabel(ns, false)));
  } else if (ns !== '') {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (m.generation !== undefined) errs.push(...nonNegative(m.generation, 'metadata.generation'));
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(m.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  return errs;
}

/** validateObjectMeta checks metadata of a new object (name generation already done). */
export function validateObjectMeta(m: ObjectMeta, rules: MetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const gen = m.generateName ?? '';
  if (gen !== '') errs.push(...invalidEach('metadata.generateName', gen, rules.nameFn(gen, true)));
  const name = m.name ?? '';
  if (name === '') errs.push(required('metadata.name', 'name or generateName is required'));
  else errs.push(...invalidEach('metadata.name', name, rules.nameFn(name, false)));
  return [...errs, ...validateMetaCommon(m, rules)];
}

/** validateObjectMetaUpdate checks metadata of an update against the stored object. */
export function validateObjectMetaUpdate(m: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  if (old.deletionTimestamp !== undefined) {
    const added = (m.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
    if (added.length > 0) {
      const list = [...new Set(added)].sort().map((f) => JSON.stringify(f)).join(', ');
      const why = `no new finalizers can be added if the object is being deleted, found new finalizers []string{${list}}`;
      errs.push(forbidden('metadata.finalizers', why));
    }
  }
  if (!m.resourceVersion) {
    errs.push(invalid('metadata.resourceVersion', m.resourceVersion ?? '',
      'must be specified for an update'));
  }
  if ((m.generation ?? 0) < (old.generation ?? 0)) {
    errs.push(invalid('metadata.generation', m.generation ?? 0, 'must not be decremented'));
  }
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    errs.push(...immutable(m[f] ?? '', old[f] ?? '', child('metadata', f)));
  }
  // A member carried over as the very value stored (a status write keeps the stored metadata)
  // was checked when it was written: only a new value is checked again.
  if (m.labels !== old.labels) errs.push(...validateLabels(m.labels, 'metadata.labels'));
  if (m.annotations !== old.annotations) {
    errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  }
  if (m.ownerReferences !== old.ownerReferences) {
    errs.push(...validateOwnerReferences(m.ownerReferences, 'metadata.ownerReferences'));
  }
  if (m.finalizers !== old.finalizers) {
    errs.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  }
  return errs;
}

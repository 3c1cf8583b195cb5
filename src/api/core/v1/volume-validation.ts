/**
 * Pod volume validation: unique DNS-label names, exactly one source each, and the sources' own
 * required fields, in upstream's paths and words.
 */
import type { FieldError } from '../../errors.js';
import { child, duplicate, forbidden, index, invalid, invalidEach, required } from '../../validation/field.js';
import { validateQuantity } from '../../validation/common.js';
import { isConfigMapKey, isDns1123Label } from '../../validation/names.js';
import { validateFieldRef, validateLocalDescendingPath } from './container-validation.js';
import type { DownwardAPIVolumeFile, KeyToPath, Volume } from './volume-types.js';

const VOLUME_FIELD_PATHS: readonly string[] = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];
const MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

function validateMode(mode: number | undefined, path: string): FieldError[] {
  if (mode === undefined) return [];
  return mode < 0 || mode > 0o777 ? [invalid(path, mode, MODE_ERROR)] : [];
}

function validateKeyToPaths(items: KeyToPath[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (items ?? []).forEach((it, i) => {
    const p = index(path, i);
    if (!it.key) errs.push(required(child(p, 'key')));
    else errs.push(...invalidEach(child(p, 'key'), it.key, isConfigMapKey(it.key)));
    if (!it.path) errs.push(required(child(p, 'path')));
    else errs.push(...validateLocalDescendingPath(it.path, child(p, 'path')));
    errs.push(...validateMode(it.mode, child(p, 'mode')));
  });
  return errs;
}

function validateDownwardFiles(items: DownwardAPIVolumeFile[] | undefined,
  path: string): FieldError[] {
  const errs: FieldError[] = [];
  (items ?? []).forEach((it, i) => {
    const p = index(path, i);
    if (!it.path) errs.push(required(child(p, 'path')));
    else errs.push(...validateLocalDescendingPath(it.path, child(p, 'path')));
    if (it.fieldRef) errs.push(...validateFieldRef(it.fieldRef, child(p, 'fieldRef'),
      VOLUME_FIELD_PATHS));
    errs.push(...validateMode(it.mode, child(p, 'mode')));
  });
  return errs;
}

function validateProjected(v: NonNullable<Volume['projected']>, path: string): FieldError[] {
  const errs = validateMode(v.defaultMode, child(path, 'defaultMode'));
  (v.sources ?? []).forEach((src, i) => {
    const p = index(child(path, 'sources'), i);
    const kinds = Object.keys(src).filter((k) => (src as Record<string, unknown>)[k] !== undefined);
    if (kinds.length > 1) {
      for (const k of kinds.slice(1)) errs.push(forbidden(child(p, k),
        'may not specify more than 1 volume type per source'));
    }
    if (src.configMap) errs.push(...validateKeyToPaths(src.configMap.items, child(child(p,
      'configMap'), 'items')));
    if (src.secret) errs.push(...validateKeyToPaths(src.secret.items, child(child(p, 'secret'),
      'items')));
    if (src.downwardAPI) errs.push(...validateDownwardFiles(src.downwardAPI.items, child(child(p,
      'downwardAPI'), 'items')));
    if (src.serviceAccountToken && !src.serviceAccountToken.path) {
      errs.push(required(child(child(p, 'serviceAccountToken'), 'path')));
    }
  });
  return errs;
}

function validateSource(v: Volume, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (v.configMap) {
    const p = child(path, 'configMap');
    if (!v.configMap.name) errs.push(required(child(p, 'name')));
    errs.push(...validateMode(v.configMap.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateKeyToPaths(v.configMap.items, child(p, 'items')));
  }
  if (v.secret) {
    const p = child(path, 'secret');
    if (!v.secret.secretName) errs.push(required(child(p, 'secretName')));
    errs.push(...validateMode(v.secret.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateKeyToPaths(v.secret.items, child(p, 'items')));
  }
  if (v.hostPath && !v.hostPath.path) errs.push(required(child(child(path, 'hostPath'), 'path')));
  if (v.emptyDir?.sizeLimit !== undefined) {
    errs.push(...validateQuantity(v.emptyDir.sizeLimit, child(child(path, 'emptyDir'),
      'sizeLimit')).errs);
  }
  if (v.downwardAPI) {
    const p = child(path, 'downwardAPI');
    errs.push(...validateMode(v.downwardAPI.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateDownwardFiles(v.downwardAPI.items, child(p, 'items')));
  }
  if (v.projected) errs.push(...validateProjected(v.projected, child(path, 'projected')));
  if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) {
    errs.push(required(child(child(path, 'persistentVolumeClaim'), 'claimName')));
  }
  return errs;
}

/** validateVolumes checks spec.volumes and returns the names mounts may refer to. */
export function validateVolumes(volumes: Volume[] | undefined,
  path: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = index(path, i);
    if (!v.name) errs.push(required(child(p, 'name')));
    else {
      errs.push(...invalidEach(child(p, 'name'), v.name, isDns1123Label(v.name)));
      if (names.has(v.name)) errs.push(duplicate(child(p, 'name'), v.name));
      names.add(v.name);
    }
    // Sources k8ts does not model (nfs, csi...) still count, so upstream manifests stay valid.
    const sources = Object.keys(v).filter((k) => k !== 'name' && (v as unknown as Record<string,
      unknown>)[k] != null);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    for (const k of sources.slice(1)) errs.push(forbidden(child(p, k),
      'may not specify more than 1 volume type'));
    errs.push(...validateSource(v, p));
  });
  return { errs, names };
}

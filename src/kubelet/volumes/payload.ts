/**
 * The files of configMap, secret, downwardAPI and projected volumes, computed from the objects
 * they show (upstream's volume plugins' payload step): which keys, under which paths, with which
 * modes, and the errors upstream reports for a missing object or key that is not optional.
 * Pure: the atomic writer puts the payload on disk.
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import type { ConfigMap, Secret } from '../../api/core/v1/config.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type {
  ConfigMapVolumeSource, DownwardAPIVolumeFile, KeyToPath, ProjectedVolumeSource,
  SecretVolumeSource,
} from '../../api/core/v1/volume-types.js';
import { podFieldValue, resourceFieldValue, type PodRuntimeFacts } from '../env/downward.js';

/** FileEntry is one file of a payload: a relative path, its bytes and its mode. */
export interface FileEntry {
  path: string;
  data: Buffer;
  mode: number;
}

/** DEFAULT_MODE: upstream's defaultMode for these volumes (0644). */
export const DEFAULT_MODE = 0o644;

/** VolumeSetupError: the volume cannot be set up (the pod waits, as upstream's FailedMount). */
export class VolumeSetupError extends Error {
  override name = 'VolumeSetupError';
}

/** checkPath: a payload path must stay inside the volume (no absolute path, no ".."). */
export function checkPath(path: string): void {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.includes('..') || parts.includes('')) {
    throw new VolumeSetupError(`invalid path ${JSON.stringify(path)} in volume`);
  }
}

/** keyedPayload: a ConfigMap's or Secret's bytes per key, as files per items or all keys. */
function keyedPayload(
  bytes: Map<string, Buffer>,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  missingKey: (key: string) => string,
): FileEntry[] {
  if (items === undefined || items.length === 0) {
    return [...bytes].map(([key, data]) => {
      checkPath(key);
      return { path: key, data, mode: defaultMode };
    });
  }
  const out: FileEntry[] = [];
  for (const item of items) {
    const data = bytes.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new VolumeSetupError(missingKey(item.key));
    }
    checkPath(item.path);
    out.push({ path: item.path, data, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** configMapPayload: the files of a configMap volume (cm undefined: not found). */
export function configMapPayload(
  src: Omit<ConfigMapVolumeSource, 'defaultMode'> & { defaultMode?: number },
  cm: ConfigMap | undefined,
  defaultMode = src.defaultMode ?? DEFAULT_MODE,
): FileEntry[] {
  const optional = src.optional === true;
  if (cm === undefined) {
    if (optional) return [];
    throw new VolumeSetupError(`configmap "${src.name ?? ''}" not found`);
  }
  const bytes = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) bytes.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) bytes.set(k, Buffer.from(v, 'base64'));
  return keyedPayload(bytes, src.items, defaultMode, optional,
    (k) => `configmap references non-existent config key: ${k}`);
}

/** secretPayload: the files of a secret volume (s undefined: not found). */
export function secretPayload(
  src: SecretVolumeSource,
  s: Secret | undefined,
  defaultMode = src.defaultMode ?? DEFAULT_MODE,
): FileEntry[] {
  const optional = src.optional === true;
  if (s === undefined) {
    if (optional) return [];
    throw new VolumeSetupError(`secret "${src.secretName ?? ''}" not found`);
  }
  const bytes = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) bytes.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(s.stringData ?? {})) bytes.set(k, Buffer.from(v, 'utf8'));
  return keyedPayload(bytes, src.items, defaultMode, optional,
    (k) => `secret references non-existent secret key: ${k}`);
}

/** DownwardInputs: the pod and what the downward API needs beyond it. */
export interface DownwardInputs {
  pod: Pod;
  facts: PodRuntimeFacts;
  allocatable: ResourceList;
}

/** downwardPayload: the files of a downwardAPI volume (or projection). */
export function downwardPayload(
  items: readonly DownwardAPIVolumeFile[],
  defaultMode: number,
  i: DownwardInputs,
): FileEntry[] {
  return items.map((item) => {
    checkPath(item.path);
    let text = '';
    if (item.fieldRef !== undefined) {
      text = podFieldValue(i.pod, item.fieldRef.fieldPath, i.facts, true);
    } else if (item.resourceFieldRef !== undefined) {
      const r = item.resourceFieldRef;
      text = resourceFieldValue(i.pod, r.containerName ?? '', r.resource, r.divisor,
        i.allocatable);
    }
    return { path: item.path, data: Buffer.from(text, 'utf8'), mode: item.mode ?? defaultMode };
  });
}

/** ObjectLookups: the pod namespace's ConfigMaps and Secrets. */
export interface ObjectLookups {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

/** projectedPayload: every source of a projected volume in one directory (service account
 *  tokens are not issued by k8ts yet: skipped). */
export function projectedPayload(
  src: ProjectedVolumeSource,
  l: ObjectLookups,
  i: DownwardInputs,
): FileEntry[] {
  const mode = src.defaultMode ?? DEFAULT_MODE;
  const out: FileEntry[] = [];
  for (const s of src.sources ?? []) {
    if (s.configMap !== undefined) {
      out.push(...configMapPayload(s.configMap, l.configMap(s.configMap.name ?? ''), mode));
    } else if (s.secret !== undefined) {
      const sec = { secretName: s.secret.name ?? '', items: s.secret.items,
        optional: s.secret.optional };
      out.push(...secretPayload(stripUndef(sec), l.secret(s.secret.name ?? ''), mode));
    } else if (s.downwardAPI !== undefined) {
      out.push(...downwardPayload(s.downwardAPI.items ?? [], mode, i));
    }
  }
  return out;
}

function stripUndef<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * core/v1 pod volumes: the sources k8ts' runtimes can provide (emptyDir, configMap, secret,
 * hostPath, downwardAPI, projected) plus persistentVolumeClaim so manifests that name one parse.
 */
import type { ObjectFieldSelector, ResourceFieldSelector } from './pod-types.js';

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}
export interface EmptyDirVolumeSource {
  medium?: '' | 'Memory';
  sizeLimit?: string | number;
}
export interface ConfigMapVolumeSource {
  name?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}
export interface SecretVolumeSource {
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}
export interface HostPathVolumeSource {
  path: string;
  type?: string;
}
export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}
export interface DownwardAPIVolumeSource {
  items?: DownwardAPIVolumeFile[];
  defaultMode?: number;
}
export interface VolumeProjection {
  configMap?: Omit<ConfigMapVolumeSource, 'defaultMode'>;
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIVolumeFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}
export interface ProjectedVolumeSource {
  sources?: VolumeProjection[];
  defaultMode?: number;
}
export interface PersistentVolumeClaimVolumeSource {
  claimName: string;
  readOnly?: boolean;
}

/** VolumeSource is exactly one of the sources. */
export interface VolumeSource {
  emptyDir?: EmptyDirVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  hostPath?: HostPathVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  projected?: ProjectedVolumeSource;
  persistentVolumeClaim?: PersistentVolumeClaimVolumeSource;
}

/** VOLUME_SOURCE_KEYS lists the sources k8ts knows, for "exactly one" checks. */
export const VOLUME_SOURCE_KEYS = [
  'emptyDir',
  'configMap',
  'secret',
  'hostPath',
  'downwardAPI',
  'projected',
  'persistentVolumeClaim',
] as const;

export interface Volume extends VolumeSource {
  name: string;
}

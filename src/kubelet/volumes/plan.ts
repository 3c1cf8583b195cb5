/**
 * Where a pod's volumes live on the node and how containers see them — the pure half of the
 * volume manager. Layout as upstream's: <root>/pods/<uid>/volumes/<plugin>/<name>, with plugin
 * directories named kubernetes.io~empty-dir, ~configmap, ~secret, ~downward-api, ~projected;
 * a hostPath volume is the host path itself. A container's mounts follow its volumeMounts:
 * subPath (or subPathExpr, $(VAR)-expanded with the container's env) picks a path inside the
 * volume; configMap, secret, downwardAPI and projected volumes are always read-only.
 */
import { join } from 'node:path';
import type { Container } from '../../api/core/v1/pod-types.js';
import type { Volume } from '../../api/core/v1/volume-types.js';
import { expand } from '../env/expand.js';
import type { PreparedMount } from '../pod/types.js';
import { VolumeSetupError } from './payload.js';

/** VolumeKind: the sources k8ts sets up. */
export type VolumeKind = 'emptyDir' | 'configMap' | 'secret' | 'downwardAPI' | 'projected' |
  'hostPath';

/** PLUGIN_DIRS: upstream's plugin directory names. */
export const PLUGIN_DIRS: Record<Exclude<VolumeKind, 'hostPath'>, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

/** volumeKind: which source a volume uses; unsupported ones are a setup error. */
export function volumeKind(v: Volume): VolumeKind {
  for (const k of ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected',
    'hostPath'] as const) {
    if (v[k] !== undefined) return k;
  }
  throw new VolumeSetupError(`volume ${v.name}: unsupported volume source (k8ts supports ` +
    'emptyDir, configMap, secret, downwardAPI, projected and hostPath)');
}

/** podDir: <root>/pods/<uid>. */
export function podDir(rootDir: string, uid: string): string {
  if (uid === '' || uid.includes('/') || uid.startsWith('.')) {
    throw new VolumeSetupError(`invalid pod uid ${JSON.stringify(uid)}`);
  }
  return join(rootDir, 'pods', uid);
}

/** volumePath: where volume v of pod uid is on the node. */
export function volumePath(rootDir: string, uid: string, v: Volume): string {
  const kind = volumeKind(v);
  if (kind === 'hostPath') return v.hostPath?.path ?? '';
  return join(podDir(rootDir, uid), 'volumes', PLUGIN_DIRS[kind], v.name);
}

/** isReadOnlyKind: volumes the kubelet writes and containers only read. */
export function isReadOnlyKind(kind: VolumeKind): boolean {
  return kind === 'configMap' || kind === 'secret' || kind === 'downwardAPI' ||
    kind === 'projected';
}

/** SetUpVolume: a volume ready on the node. */
export interface SetUpVolume {
  path: string;
  kind: VolumeKind;
}

/**
 * planMounts: a container's mounts from its volumeMounts. Each subPath is checked to stay
 * inside its volume; resolveSubPath turns (volume path, sub path) into the host path (the shell
 * creates it when missing and follows the atomic writer's symlinks).
 */
export function planMounts(
  c: Container,
  volumes: ReadonlyMap<string, SetUpVolume>,
  env: ReadonlyMap<string, string>,
  resolveSubPath: (volume: SetUpVolume, sub: string) => string,
): PreparedMount[] {
  return (c.volumeMounts ?? []).map((m) => {
    const v = volumes.get(m.name);
    if (v === undefined) {
      throw new VolumeSetupError(`container ${c.name}: volume ${m.name} is not defined`);
    }
    const sub = m.subPathExpr !== undefined && m.subPathExpr !== ''
      ? expand(m.subPathExpr, (n) => env.get(n))
      : (m.subPath ?? '');
    if (sub !== '') checkSubPath(sub);
    const hostPath = sub === '' ? v.path : resolveSubPath(v, sub);
    const propagation = m.mountPropagation === 'HostToContainer' ? 'hostToContainer'
      : m.mountPropagation === 'Bidirectional' ? 'bidirectional' : undefined;
    return {
      containerPath: m.mountPath,
      hostPath,
      readonly: m.readOnly === true || isReadOnlyKind(v.kind),
      ...(propagation !== undefined ? { propagation } : {}),
    };
  });
}

/** checkSubPath: relative, and never climbing out with "..". */
export function checkSubPath(sub: string): void {
  if (sub.startsWith('/') || sub.split('/').includes('..')) {
    throw new VolumeSetupError(`subPath ${JSON.stringify(sub)} must be a relative path ` +
      "without '..'");
  }
}

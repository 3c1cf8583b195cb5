/**
 * The volume manager: sets a pod's volumes up on the node before its containers start (and again
 * on every prepare, so configMap/secret/downwardAPI files follow their objects), gives each
 * container its mounts, and tears everything down when the pod's worker is done. emptyDir with
 * medium Memory is a tmpfs when the kubelet runs as root, a plain directory otherwise (the
 * process runtime runs without root; its containers are plain processes anyway).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import type { Volume } from '../../api/core/v1/volume-types.js';
import type { PreparedMount } from '../pod/types.js';
import { writeAtomic } from './atomic-writer.js';
import { setUpHostPath } from './host-path.js';
import {
  configMapPayload, downwardPayload, projectedPayload, secretPayload, VolumeSetupError,
  type DownwardInputs, type ObjectLookups,
} from './payload.js';
import { planMounts, podDir, volumeKind, volumePath, type SetUpVolume } from './plan.js';

const run = promisify(execFile);

/** VolumeManagerOptions: where, and whether tmpfs mounts are possible. */
export interface VolumeManagerOptions {
  rootDir: string;
  /** Mount tmpfs for memory emptyDirs (root only). */
  useTmpfs: boolean;
  log(line: string): void;
}

/** VolumeManager sets up, mounts and tears down pod volumes. */
export class VolumeManager {
  constructor(private readonly o: VolumeManagerOptions) {}

  /** setUp makes every volume of pod ready; returns them by name. Throws VolumeSetupError. */
  async setUp(pod: Pod, l: ObjectLookups, i: DownwardInputs): Promise<Map<string, SetUpVolume>> {
    const uid = pod.metadata.uid ?? '';
    const out = new Map<string, SetUpVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      const kind = volumeKind(v);
      const path = volumePath(this.o.rootDir, uid, v);
      if (kind === 'emptyDir') await this.setUpEmptyDir(v, path);
      else if (kind === 'hostPath') setUpHostPath(path, v.hostPath?.type);
      else writeAtomic(path, this.payload(v, l, i));
      out.set(v.name, { path, kind });
    }
    return out;
  }

  private payload(v: Volume, l: ObjectLookups, i: DownwardInputs) {
    if (v.configMap !== undefined) return configMapPayload(v.configMap, l.configMap(
      v.configMap.name ?? ''));
    if (v.secret !== undefined) return secretPayload(v.secret, l.secret(v.secret.secretName ??
      ''));
    if (v.downwardAPI !== undefined) {
      return downwardPayload(v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, i);
    }
    if (v.projected !== undefined) return projectedPayload(v.projected, l, i);
    throw new VolumeSetupError(`volume ${v.name}: no payload`);
  }

  private async setUpEmptyDir(v: Volume, path: string): Promise<void> {
    if (existsSync(path)) return;
    mkdirSync(path, { recursive: true, mode: 0o777 });
    if (v.emptyDir?.medium !== 'Memory' || !this.o.useTmpfs) return;
    const size = v.emptyDir.sizeLimit !== undefined ? [`-o`, `size=${String(
      v.emptyDir.sizeLimit).replace(/i$/, '')}`] : [];
    await run('mount', ['-t', 'tmpfs', ...size, 'tmpfs', path]);
  }

  /** mounts: one container's mounts (subPaths created inside their volume when missing). */
  mounts(c: Container, volumes: ReadonlyMap<string, SetUpVolume>,
    env: ReadonlyMap<string, string>): PreparedMount[] {
    return planMounts(c, volumes, env, (v, sub) => {
      const p = join(v.path, sub);
      if (!existsSync(p)) {
        if (v.kind !== 'emptyDir' && v.kind !== 'hostPath') {
          throw new VolumeSetupError(`subPath ${sub} does not exist in volume ${v.path}`);
        }
        mkdirSync(p, { recursive: true, mode: 0o755 });
      }
      // The atomic writer's entries are symlinks into ..data: mount what they point at.
      const real = realpathSync(p);
      if (!real.startsWith(realpathSync(v.path))) {
        throw new VolumeSetupError(`subPath ${sub} leaves its volume`);
      }
      return real;
    });
  }

  /** tearDown unmounts a pod's tmpfs volumes and removes its directory; a directory with a
   *  mount still under it is left (and logged) rather than deleted through the mount. */
  async tearDown(uid: string): Promise<void> {
    const dir = podDir(this.o.rootDir, uid);
    if (!existsSync(dir)) return;
    for (const m of mountsUnder(dir).reverse()) {
      try {
        await run('umount', [m]);
      } catch (e) {
        this.o.log(`volumes of pod ${uid}: umount ${m} failed: ${String(e)}`);
      }
    }
    if (mountsUnder(dir).length > 0) {
      this.o.log(`volumes of pod ${uid}: mounts remain under ${dir}; not removed`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  }

  /** podUids: the pods with a directory on this node (orphan cleanup at start). */
  podUids(): string[] {
    try {
      return readdirSync(join(this.o.rootDir, 'pods'));
    } catch {
      return [];
    }
  }
}

/** mountsUnder: mount points at or below dir, from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out;
}

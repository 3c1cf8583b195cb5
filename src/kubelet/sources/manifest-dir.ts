/**
 * readManifestDir: the static pods of a manifest directory, read now. A file that is not a valid
 * pod is logged and skipped (the others still run); two files defining the same pod keep the
 * first in name order, as upstream. A missing directory is no static pods, not an error: the
 * kubelet may start before anything is written there. Called on the kubelet's file-check timer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../api/core/v1/pod-types.js';
import {
  fullName, isManifestFile, MANIFEST_MAX_BYTES, ManifestError, parseManifest, staticPodFrom,
} from './static-pods.js';

/** MANIFESTS_MAX bounds the files read per scan. */
export const MANIFESTS_MAX = 1_000;

/** readManifestDir returns the static pods in dir (sorted by file name). */
export function readManifestDir(dir: string, nodeName: string, log: (l: string) => void): Pod[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter(isManifestFile).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (names.length > MANIFESTS_MAX) {
    log(`static pods: ${names.length} manifests in ${dir}; reading the first ${MANIFESTS_MAX}`);
    names = names.slice(0, MANIFESTS_MAX);
  }
  const pods: Pod[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      if (st.size > MANIFEST_MAX_BYTES) throw new ManifestError(`${file}: larger than 1 MiB`);
      const pod = staticPodFrom(parseManifest(readFileSync(file, 'utf8'), file), nodeName, file);
      const key = fullName(pod);
      if (seen.has(key)) {
        log(`static pods: ${file} defines ${key} again; ignored`);
        continue;
      }
      seen.add(key);
      pods.push(pod);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while reading
      log(`static pods: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return pods;
}

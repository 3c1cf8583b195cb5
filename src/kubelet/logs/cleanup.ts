/**
 * Removing logs nobody can ask for any more: a removed container instance's log with its
 * rotated files, a deleted pod's whole log directory, and — after a kubelet restart, when the
 * deletions may have been missed — every pod directory whose uid the kubelet no longer runs
 * (upstream's evictPodLogsDirectories). Logs of pods still known are never touched.
 */
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parsePodLogDirName, podLogDirectory } from './paths.js';

/** removePodLogs deletes a pod's log directory (all its containers' logs). */
export async function removePodLogs(
  root: string,
  namespace: string,
  pod: string,
  uid: string,
): Promise<void> {
  await rm(podLogDirectory(root, namespace, pod, uid), { recursive: true, force: true });
}

/** removeContainerLogFiles deletes one instance's log and its rotated/compressed files. */
export async function removeContainerLogFiles(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const name = basename(logPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const mine = names.filter((n) => n === name || n.startsWith(`${name}.`));
  await Promise.all(mine.map((n) => rm(join(dir, n), { force: true })));
}

/** orphanedPodLogDirs picks the directory names whose pod uid is not in liveUids (pure). */
export function orphanedPodLogDirs(
  dirNames: readonly string[],
  liveUids: ReadonlySet<string>,
): string[] {
  return dirNames.filter((n) => {
    const parsed = parsePodLogDirName(n);
    return parsed !== undefined && !liveUids.has(parsed.uid);
  });
}

/** removeOrphanedPodLogs deletes the orphaned pod log directories under root; returns them. */
export async function removeOrphanedPodLogs(
  root: string,
  liveUids: ReadonlySet<string>,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const orphans = orphanedPodLogDirs(names, liveUids);
  await Promise.all(orphans.map((n) => rm(join(root, n), { recursive: true, force: true })));
  return orphans;
}

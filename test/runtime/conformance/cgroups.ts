/**
 * removeConformanceCgroups: the conformance sandboxes' cgroup parents
 * (/k8ts-cri-conformance/pod<uid> in every cgroupfs hierarchy) outlive their containers, because
 * runtimes remove only the leaves they made. A runtime's test calls this in cleanup, after the
 * runtime stopped, so nothing the suite made stays on the host.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFORMANCE_CGROUP_ROOT } from './fixtures.js';

const CGROUP_FS = '/sys/fs/cgroup';

/** rmdirTree removes dir's subdirectories deepest first, then dir (cgroup dirs hold only
 *  kernel files, which rmdir takes with them). */
async function rmdirTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await rmdirTree(join(dir, entry.name));
  }
  await rmdir(dir);
}

/** removeConformanceCgroups removes the suite's cgroup subtree from every hierarchy; returns
 *  how many hierarchies had one. */
export async function removeConformanceCgroups(): Promise<number> {
  let removed = 0;
  const hierarchies = await readdir(CGROUP_FS).catch(() => [] as string[]);
  for (const h of [...hierarchies.map((x) => join(CGROUP_FS, x)), CGROUP_FS]) {
    const dir = join(h, CONFORMANCE_CGROUP_ROOT);
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) continue;
    await rmdirTree(dir);
    removed += 1;
  }
  return removed;
}

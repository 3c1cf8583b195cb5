/**
 * removeConformanceCgroups: the conformance sandboxes' cgroup parents
 * (/k8ts-cri-conformance/pod<uid> in every cgroupfs hierarchy) outlive their containers, because
 * runtimes remove only the leaves they made. A runtime's test calls this in cleanup, after the
 * runtime stopped. Only this test process's pods are removed (their uid carries its pid): other
 * conformance runs on the same host may be using their own cgroups right now.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFORMANCE_CGROUP_ROOT, conformancePodPrefix } from './fixtures.js';

const CGROUP_FS = '/sys/fs/cgroup';
/** A cgroup whose last process is an unreaped zombie stays busy briefly (PID 1 here reaps
 *  late); removal retries that long. */
const BUSY_RETRY_MS = 10_000;
const BUSY_POLL_MS = 100;

/** rmdirTree removes dir's subdirectories deepest first, then dir (cgroup dirs hold only
 *  kernel files, which rmdir takes with them). */
async function rmdirTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await rmdirTree(join(dir, entry.name));
  }
  const endMs = Date.now() + BUSY_RETRY_MS;
  for (;;) {
    try {
      return await rmdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > endMs) throw err;
      await new Promise((r) => setTimeout(r, BUSY_POLL_MS));
    }
  }
}

/** removeConformanceCgroups removes this process's pod cgroups from every hierarchy, and the
 *  suite's root when nothing else is left in it; returns how many pod cgroups it removed. */
export async function removeConformanceCgroups(): Promise<number> {
  let removed = 0;
  const prefix = `pod${conformancePodPrefix()}`;
  const hierarchies = await readdir(CGROUP_FS).catch(() => [] as string[]);
  for (const h of [...hierarchies.map((x) => join(CGROUP_FS, x)), CGROUP_FS]) {
    const root = join(h, CONFORMANCE_CGROUP_ROOT);
    const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
    if (!isDir) continue;
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
      await rmdirTree(join(root, entry.name));
      removed += 1;
    }
    await rmdir(root).catch(() => undefined); // busy or not empty: another run still uses it
  }
  return removed;
}

/**
 * A cross-process lock for one image store directory: a lock file created with O_EXCL holding
 * the owner's pid. Writers (import, remove, GC) hold it, so two kubelets or two builds sharing a
 * cache never interleave metadata updates. A lock whose owner died is broken; waiting is bounded.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../base/clock.js';
import { pidAlive } from './fs-atomic.js';

/** The name of the lock file inside the store root. */
export const LOCK_FILE = 'lock';
/** How long a writer waits for the lock before giving up with an error. */
export const LOCK_WAIT_MS = 120_000;
/** The pause between attempts. */
export const LOCK_POLL_MS = 25;

/** tryAcquire creates the lock file; returns false when someone else holds it. */
async function tryAcquire(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    await fh.writeFile(String(process.pid));
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    // An empty file is an owner between open and write: alive. A dead owner's lock is broken.
    if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) await rm(path, { force: true });
    return false;
  }
}

/** withStoreLock runs fn while holding root's lock. */
export async function withStoreLock<T>(
  root: string,
  clock: Clock,
  fn: () => Promise<T>,
): Promise<T> {
  const path = join(root, LOCK_FILE);
  const deadline = clock.nowMs() + LOCK_WAIT_MS;
  while (!(await tryAcquire(path))) {
    if (clock.nowMs() > deadline) {
      throw new Error(
        `image store ${root} is locked by another process for over ${LOCK_WAIT_MS} ms`,
      );
    }
    await new Promise<void>((resolve) => clock.setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

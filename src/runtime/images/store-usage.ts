/**
 * Disk usage of an image store, for CRI's ImageFsInfo: bytes allocated (as `du` counts them)
 * and inodes, hard links counted once. A walk, bounded in depth so a corrupt tree cannot loop.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The deepest directory nesting walked. */
const MAX_DEPTH = 512;

/** What ImageFsInfo reports for the store. */
export interface StoreUsage {
  /** The directory the usage is of (CRI's FilesystemIdentifier.mountpoint). */
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

/** storeUsage walks root and sums its usage. */
export async function storeUsage(root: string): Promise<StoreUsage> {
  const seen = new Set<string>();
  let usedBytes = 0;
  const walk = async (p: string, depth: number): Promise<void> => {
    const st = await lstat(p).catch(() => null);
    if (st === null) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    usedBytes += st.blocks * 512;
    if (!st.isDirectory() || depth >= MAX_DEPTH) return;
    for (const name of await readdir(p).catch(() => [] as string[])) {
      await walk(join(p, name), depth + 1);
    }
  };
  await walk(root, 0);
  return { mountpoint: root, usedBytes, inodesUsed: seen.size };
}

/**
 * The containers' scratch roots (container-spec.ts: a container's default working directory,
 * holding a symlink at each mount's path), recycled instead of made and removed each time.
 *
 * Why: on the ext4 the state directory lives on (no journal here), a new inode skips every inode
 * of its group freed in the last seconds (ext4's recently_deleted, one inode-table lookup each),
 * so in a burst that follows the removal of the previous one each mkdir walked hundreds of
 * freed inodes: mkdir was 12-14 % of the process runtime's CPU in a pod burst (perf), its
 * rmdir another 3 %. A removed container's root, once emptied, is renamed into spare/ (a
 * rename allocates and frees no inode), and the next container's root is a spare renamed into
 * place; mkdir and rmdir run only when there is no spare, or more than SPARES_MAX of them.
 *
 * A spare is empty: its entries (the links, and whatever the container wrote) are removed and
 * the directory is checked empty before it is renamed into spare/; one that is not (a process
 * that escaped its group's kill still writing) is removed as before. Spares left by an earlier
 * runtime are reused the same way (they were checked when they were put there).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { scratchLinks } from './container-spec.js';
import type { MountRecord } from './state-store.js';

/** At most this many empty roots are kept for reuse (an empty directory is one inode and one
 *  block: 512 of them hold 2 MiB). */
export const SPARES_MAX = 512;

/** ScratchRoots makes and removes the scratch roots under stateDir/roots. */
export class ScratchRoots {
  private readonly rootsDir: string;
  private readonly spareDir: string;
  /** Names of the empty directories in spare/, the next one to reuse last. */
  private readonly spares: string[];

  constructor(stateDir: string, private readonly sparesMax = SPARES_MAX) {
    this.rootsDir = join(stateDir, 'roots');
    this.spareDir = join(this.rootsDir, '.spare');
    this.spares = readSpares(this.spareDir);
  }

  /** path is where the container id's scratch root lives. */
  path(id: string): string {
    return join(this.rootsDir, id);
  }

  /** spareCount: empty roots ready for reuse (tests). */
  get spareCount(): number {
    return this.spares.length;
  }

  /**
   * make makes the container's scratch root (a spare, else a new directory) with a link at each
   * mount's path: then each directory the links need, parents first, one mkdir each (a
   * recursive mkdir of a deep new path tries and fails its way up first).
   */
  async make(id: string, mounts: readonly MountRecord[]): Promise<string> {
    const root = this.path(id);
    if (!(await this.reuse(root))) await mkdir(root, { recursive: true });
    const links = scratchLinks(root, mounts);
    const dirs = new Set<string>();
    for (const [link] of links) {
      for (let d = dirname(link); d.length > root.length; d = dirname(d)) dirs.add(d);
    }
    for (const d of [...dirs].sort((a, b) => a.length - b.length)) {
      await mkdir(d).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    await Promise.all(links.map(([link, target]) => symlink(target, link)));
    return root;
  }

  /** remove empties the container's scratch root and keeps it as a spare (or removes it when
   *  there are enough spares, or it does not stay empty). A missing root is fine. */
  async remove(id: string): Promise<void> {
    const root = this.path(id);
    if (this.spares.length >= this.sparesMax || !(await emptied(root))) {
      await rm(root, { recursive: true, force: true });
      return;
    }
    // The spare keeps the container's id as its name: unique, so no two renames meet.
    this.spares.push(id);
    try {
      await rename(root, join(this.spareDir, id));
    } catch {
      // spare/ was removed under us (made again for the next one): remove the root as before.
      this.spares.splice(this.spares.indexOf(id), 1);
      await mkdir(this.spareDir, { recursive: true });
      await rm(root, { recursive: true, force: true });
    }
  }

  /** reuse renames a spare to root; false when there is none (or it vanished). */
  private async reuse(root: string): Promise<boolean> {
    // Taken before the await: two makes at once never get the same spare.
    const spare = this.spares.pop();
    if (spare === undefined) return false;
    try {
      await rename(join(this.spareDir, spare), root);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** emptied removes dir's entries and tells whether it is then empty (false if missing). */
async function emptied(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return false;
  }
  if (entries.length === 0) return true;
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
  return (await readdir(dir).catch(() => ['missing'])).length === 0;
}

/** readSpares lists the spares an earlier runtime left (making spare/ if missing). */
function readSpares(spareDir: string): string[] {
  mkdirSync(spareDir, { recursive: true });
  return readdirSync(spareDir);
}

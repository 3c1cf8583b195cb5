/**
 * Crash- and race-safe file system writes for the image store: everything is written under a
 * temporary name in the same directory and renamed into place, so a reader (or another process)
 * sees either nothing or the whole thing, never a half-written blob or layer.
 */
import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The prefix of temporary names; the store removes leftovers while it holds its lock. */
export const TEMP_PREFIX = '.tmp-';

let counter = 0;

/** tempNameFor returns a name next to path that no other process or call uses. */
export function tempNameFor(path: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return join(dirname(path), `${TEMP_PREFIX}${process.pid}-${counter}-${basename(path)}`);
}

/** writeFileAtomic writes data to path through a temporary file and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempNameFor(path);
  try {
    await writeFile(tmp, data, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** makeTempDirBeside creates an empty temporary directory in the same directory as path. */
export function makeTempDirBeside(path: string): Promise<string> {
  return mkdtemp(join(dirname(path), `${TEMP_PREFIX}${process.pid}-`));
}

/**
 * publishDir renames a finished temporary directory to dest. When dest already exists (another
 * writer won the race with identical content-addressed data) the temporary one is removed.
 * Returns whether this call published it.
 */
export async function publishDir(tmp: string, dest: string): Promise<boolean> {
  try {
    await rename(tmp, dest);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
    await rm(tmp, { recursive: true, force: true });
    return false;
  }
}

/** exists says whether something (of any type, even a dangling symlink) is at path. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** pidAlive says whether a process with this pid exists (EPERM also means it exists). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A private working directory's name: `<label>-<owner pid>-<random>`. */
const OWNED_DIR_RE = /^[A-Za-z0-9._]+(?:-[A-Za-z0-9._]+)*?-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * makeOwnedTempDir creates a private working directory under parent whose name carries this
 * process's pid, so removeOrphanedDirs can tell a crashed build's leftovers from a live one's.
 */
export async function makeOwnedTempDir(parent: string, label: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `${label}-${process.pid}-`));
}

/** removeOrphanedDirs deletes working directories under parent whose owner process is gone. */
export async function removeOrphanedDirs(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = Number(OWNED_DIR_RE.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) {
      await rm(join(parent, name), { recursive: true, force: true });
    }
  }
}

/**
 * The in-memory shape of one tar member, shared by the writer (image layers, layout archives)
 * and the reader (importing layouts, unpacking layers). Paths are relative, without a leading
 * "./" or "/", and without a trailing slash; that normal form is what makes sorting and
 * whiteout handling simple.
 */

/** Fields every member has. mode holds permission bits only (incl. setuid/setgid/sticky). */
interface EntryBase {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/** A regular file with its whole content. */
export interface FileEntry extends EntryBase {
  type: 'file';
  data: Uint8Array;
}

/** A directory. */
export interface DirEntry extends EntryBase {
  type: 'dir';
}

/** A symbolic link; target is stored verbatim (absolute or relative). */
export interface SymlinkEntry extends EntryBase {
  type: 'symlink';
  target: string;
}

/** A hard link to an earlier member of the same archive (target is that member's path). */
export interface HardlinkEntry extends EntryBase {
  type: 'hardlink';
  target: string;
}

/** A character or block device or a FIFO (rare in layers; whiteouts in overlay form are 0/0). */
export interface DeviceEntry extends EntryBase {
  type: 'char' | 'block' | 'fifo';
  devMajor: number;
  devMinor: number;
}

/** TarEntry is one archive member. */
export type TarEntry = FileEntry | DirEntry | SymlinkEntry | HardlinkEntry | DeviceEntry;

/**
 * normalizeTarPath turns "./a/b/", "/a/b" or "a//b" into "a/b" and refuses ".." components,
 * which would let a layer write outside its directory (a classic tar-slip).
 */
export function normalizeTarPath(raw: string): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw new Error(`tar member ${JSON.stringify(raw)} escapes the archive root`);
  }
  return parts.join('/');
}

/** compareTarPaths orders paths byte-wise, so a parent always precedes its children. */
export function compareTarPaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

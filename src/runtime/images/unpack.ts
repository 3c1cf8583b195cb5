/**
 * Unpacks one layer's members into its own directory in overlayfs form, so a runtime mounts an
 * image as `lowerdir=<top>:...:<bottom>` without copying. OCI whiteouts are converted:
 *  - `.wh.<name>` becomes a character device 0/0 at <name> (overlay's whiteout);
 *  - `.wh..wh..opq` (opaque directory) becomes explicit whiteouts for every name the lower
 *    layers have in that directory, recursing into sub-directories this layer re-creates. That
 *    is overlay's meaning of an opaque dir without the trusted.overlay.opaque xattr, which Node
 *    cannot set. It depends on the lower layers, so layer dirs are keyed by ChainID.
 * Device nodes need root (mknod); owners are applied only when running as root.
 */
import {
  lstat,
  link,
  mkdir,
  readdir,
  rm,
  symlink,
  writeFile,
  chmod,
  lchown,
} from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './host-tools.js';
import type { TarEntry } from './tar-entry.js';

/** The prefix of an OCI whiteout file name. */
export const WHITEOUT_PREFIX = '.wh.';
/** The name of an OCI opaque-directory marker. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** A bound on nested directories an opaque conversion walks (a corrupt store cannot loop). */
const MAX_OPAQUE_DEPTH = 256;

/** What unpackLayer needs besides the members. */
export interface UnpackTarget {
  /** The (empty, fresh) directory this layer is written into. */
  dir: string;
  /** The layer directories below this one, nearest first (for opaque directories). */
  lowerDirs: readonly string[];
}

/** unpackLayer writes entries into target.dir, converting whiteouts as described above. */
export async function unpackLayer(
  entries: readonly TarEntry[],
  target: UnpackTarget,
): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const safe = new Set<string>(['']);
  const dirModes: Array<[string, number]> = [];
  const opaque: string[] = [];
  for (const e of entries) {
    const parent = parentOf(e.path);
    const base = e.path.slice(e.path.lastIndexOf('/') + 1);
    await ensureParents(target.dir, parent, safe);
    if (base === OPAQUE_MARKER) {
      opaque.push(parent);
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      await makeWhiteout(join(target.dir, parent, base.slice(WHITEOUT_PREFIX.length)));
    } else {
      await writeMember(target.dir, e, asRoot, safe);
      if (e.type === 'dir') dirModes.push([e.path, e.mode]);
    }
  }
  for (const d of opaque) {
    await ensureParents(target.dir, d, new Set(['']));
    await whiteoutLowerNames(target, d, 0);
  }
  // Directory modes last, deepest first: a read-only directory must not block its children.
  // A later member may have replaced a directory (even with a symlink): only real dirs count.
  for (const [rel, mode] of dirModes.reverse()) {
    if (await isDirChain(target.dir, rel)) await chmod(join(target.dir, rel), mode);
  }
}

/** ensureParents creates missing parents (0755) and refuses to walk through a symlink. */
async function ensureParents(root: string, rel: string, safe: Set<string>): Promise<void> {
  if (safe.has(rel)) return;
  await ensureParents(root, parentOf(rel), safe);
  const p = join(root, rel);
  const st = await lstat(p).catch(() => null);
  if (st === null) await mkdir(p, { mode: 0o755 });
  else if (!st.isDirectory())
    throw new Error(`layer member path ${rel} goes through a ${kind(st)}`);
  safe.add(rel);
}

function kind(st: { isSymbolicLink(): boolean }): string {
  return st.isSymbolicLink() ? 'symlink' : 'non-directory';
}

/** writeMember creates one member, replacing whatever an earlier member left at its path. */
async function writeMember(root: string, e: TarEntry, asRoot: boolean, safe: Set<string>) {
  const p = join(root, e.path);
  const existing = await lstat(p).catch(() => null);
  if (existing !== null && !(existing.isDirectory() && e.type === 'dir')) {
    await rm(p, { recursive: true, force: true });
    forgetSubtree(safe, e.path);
  }
  switch (e.type) {
    case 'dir':
      if (existing === null || !existing.isDirectory()) await mkdir(p, { mode: 0o700 });
      safe.add(e.path);
      break;
    case 'file':
      await writeFile(p, e.data, { mode: 0o600 });
      break;
    case 'symlink':
      await symlink(e.target, p);
      break;
    case 'hardlink':
      await ensureParents(root, parentOf(e.target), safe);
      await link(join(root, e.target), p).catch((err: Error) => {
        throw new Error(`layer hard link ${e.path} → ${e.target}: ${err.message}`);
      });
      return; // a hard link shares the target's inode: owner and mode are the target's
    case 'char':
    case 'block':
      await runTool('mknod', [
        p,
        e.type === 'char' ? 'c' : 'b',
        String(e.devMajor),
        String(e.devMinor),
      ]);
      break;
    case 'fifo':
      await runTool('mkfifo', [p]);
      break;
  }
  if (asRoot) await lchown(p, e.uid, e.gid);
  // chown clears setuid/setgid, so the mode goes on after it; symlinks have no mode of their own.
  if (e.type !== 'symlink' && e.type !== 'dir') await chmod(p, e.mode);
}

/** isDirChain says whether rel and each of its parents under root is a real directory. */
async function isDirChain(root: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const st = await lstat(join(root, ...parts.slice(0, i))).catch(() => null);
    if (st?.isDirectory() !== true) return false;
  }
  return true;
}

/** forgetSubtree drops path and everything under it from the verified-directory cache. */
function forgetSubtree(safe: Set<string>, path: string): void {
  for (const p of safe) if (p === path || p.startsWith(`${path}/`)) safe.delete(p);
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

/** makeWhiteout puts overlay's whiteout (char device 0/0) at path. */
async function makeWhiteout(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await runTool('mknod', [path, 'c', '0', '0']).catch((e: Error) => {
    throw new Error(`cannot create whiteout ${path} (needs root / CAP_MKNOD): ${e.message}`);
  });
}

/**
 * whiteoutLowerNames hides every name the lower layers have in rel that this layer lacks, and
 * recurses into directories both have — overlay's opaque-directory semantics, spelled out.
 */
async function whiteoutLowerNames(t: UnpackTarget, rel: string, depth: number): Promise<void> {
  if (depth > MAX_OPAQUE_DEPTH) throw new Error(`opaque directory ${rel} nests too deeply`);
  const lowerNames = new Map<string, boolean>(); // name → is a directory in some lower layer
  for (const lower of t.lowerDirs) {
    for (const d of await readdir(join(lower, rel), { withFileTypes: true }).catch(() => [])) {
      lowerNames.set(d.name, (lowerNames.get(d.name) ?? false) || d.isDirectory());
    }
  }
  for (const [name, lowerIsDir] of lowerNames) {
    const here = await lstat(join(t.dir, rel, name)).catch(() => null);
    if (here === null) await makeWhiteout(join(t.dir, rel, name));
    else if (here.isDirectory() && lowerIsDir)
      await whiteoutLowerNames(t, join(rel, name), depth + 1);
  }
}

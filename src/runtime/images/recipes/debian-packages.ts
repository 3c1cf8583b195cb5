/**
 * Fetching Debian packages without installing them: `apt-get download` into a private temp
 * directory (then renamed into a shared downloads dir, so concurrent builds never see half a
 * file), and `dpkg -x` to extract. Nothing runs maintainer scripts or starts services.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeOwnedTempDir, removeOrphanedDirs } from '../fs-atomic.js';
import { runTool } from '../host-tools.js';

/** PackageDownloadError means the archive was unreachable or the package unknown (not a bug). */
export class PackageDownloadError extends Error {
  override name = 'PackageDownloadError';
}

/** A downloaded .deb: its package name, version and file. */
export interface DebFile {
  pkg: string;
  version: string;
  path: string;
}

/** parseDebName splits "<pkg>_<version>_<arch>.deb" (version with %3a for ':' as apt writes it). */
export function parseDebName(file: string): { pkg: string; version: string } | null {
  const m = /^([a-z0-9][a-z0-9+.-]*)_([^_]+)_([a-z0-9]+)\.deb$/.exec(file);
  if (m === null) return null;
  return { pkg: m[1] ?? '', version: decodeURIComponent(m[2] ?? '') };
}

/** cachedDebs finds already-downloaded packages in dir (the newest name wins per package). */
async function cachedDebs(dir: string, pkgs: readonly string[]): Promise<Map<string, DebFile>> {
  const found = new Map<string, DebFile>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const f of names.sort()) {
    const p = parseDebName(f);
    if (p !== null && pkgs.includes(p.pkg)) found.set(p.pkg, { ...p, path: join(dir, f) });
  }
  return found;
}

/**
 * downloadDebs returns one .deb per package, from downloadsDir when present, otherwise via
 * `apt-get download` (throws PackageDownloadError when apt cannot fetch them).
 */
export async function downloadDebs(
  aptGet: string,
  downloadsDir: string,
  pkgs: readonly string[],
): Promise<DebFile[]> {
  await mkdir(downloadsDir, { recursive: true });
  let found = await cachedDebs(downloadsDir, pkgs);
  if (found.size < pkgs.length) {
    await removeOrphanedDirs(downloadsDir);
    const tmp = await makeOwnedTempDir(downloadsDir, 'download');
    try {
      await runTool(aptGet, ['download', ...pkgs], { cwd: tmp, timeoutMs: 180_000 }).catch((e) => {
        throw new PackageDownloadError(
          `apt-get download ${pkgs.join(' ')} failed (is the Debian archive reachable and ` +
            `apt-get update done?): ${(e as Error).message}`,
        );
      });
      for (const f of await readdir(tmp)) await rename(join(tmp, f), join(downloadsDir, f));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    found = await cachedDebs(downloadsDir, pkgs);
  }
  return pkgs.map((p) => {
    const d = found.get(p);
    if (d === undefined) throw new PackageDownloadError(`apt-get download did not produce ${p}`);
    return d;
  });
}

/** extractDebs unpacks each .deb's data into dir with `dpkg -x`. */
export async function extractDebs(
  dpkg: string,
  debs: readonly DebFile[],
  dir: string,
): Promise<void> {
  for (const d of debs) await runTool(dpkg, ['-x', d.path, dir], { timeoutMs: 60_000 });
}

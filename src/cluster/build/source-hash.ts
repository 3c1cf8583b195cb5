/**
 * sourceHash: the identity of the code a bundle is built from — every file under src/ (path and
 * content), the lockfile, package.json and tsconfig.json, and a salt naming the bundler and its
 * options. Two trees with the same hash bundle to the same output, so a cached bundle under that
 * hash can be reused; any edit to a source or a dependency gives another hash, so a stale bundle
 * is never run. Content, not mtimes: a checkout or a copy that keeps contents keeps the bundle.
 */
import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** HASHED_FILES: the files outside src/ that change what a bundle contains or how it is built. */
export const HASHED_FILES: readonly string[] =
  ['package-lock.json', 'package.json', 'tsconfig.json'];

/** MAX_SOURCE_FILES: a bound on the walk (the tree holds ~600 files); past it, the tree is not a
 *  k8ts checkout and hashing it is refused. */
const MAX_SOURCE_FILES = 20_000;

/** Hashes this process computed: the bundled CLI checks its bundle, then up looks the bundle up,
 *  milliseconds apart; the tree is read once (sources that change during one command are the
 *  next command's to see). */
const computed = new Map<string, string>();

/** sourceHash hashes the repo's sources and build inputs with salt (bundler version, options);
 *  24 hex digits of SHA-256. Computed once per process for a repo and salt. */
export function sourceHash(repoRoot: string, salt: string): string {
  const key = `${repoRoot}\0${salt}`;
  const known = computed.get(key);
  if (known !== undefined) return known;
  const hash = hashTree(repoRoot, salt);
  computed.set(key, hash);
  return hash;
}

/** forgetSourceHashes: the next sourceHash reads the tree again (tests that edit a tree). */
export function forgetSourceHashes(): void {
  computed.clear();
}

function hashTree(repoRoot: string, salt: string): string {
  const h = createHash('sha256');
  h.update(`salt\0${salt}\0`);
  for (const rel of sourceFiles(repoRoot)) addFile(h, repoRoot, rel);
  for (const rel of HASHED_FILES) addFile(h, repoRoot, rel);
  return h.digest('hex').slice(0, 24);
}

/** sourceFiles: every file under src/, relative to the repo, in a stable (sorted) order. */
export function sourceFiles(repoRoot: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries = readdirSync(join(repoRoot, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile()) out.push(child);
      if (out.length > MAX_SOURCE_FILES) {
        throw new Error(`more than ${MAX_SOURCE_FILES} files under src`);
      }
    }
  };
  walk('src');
  return out;
}

/** addFile feeds one file's path and content (or its absence) into the hash, length-prefixed so
 *  no two trees feed the same bytes. */
function addFile(h: Hash, repoRoot: string, rel: string): void {
  let data: Buffer | undefined;
  try {
    data = readFileSync(join(repoRoot, rel));
  } catch {
    data = undefined;
  }
  h.update(`${rel}\0${data === undefined ? -1 : data.length}\0`);
  if (data !== undefined) h.update(data);
}

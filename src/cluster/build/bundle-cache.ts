/**
 * prepareLaunch: how this `k8ts up` (or restart) starts components — the bundle of the current
 * source tree, built once and cached under node_modules/.cache/k8ts-bundles/<source hash>, or tsx
 * when no bundle can be had. The hash covers every source and the lockfile (source-hash.ts), so a
 * stale bundle is never run and an unchanged tree is not rebuilt. A bundle is built in a private
 * directory and renamed into place, so a concurrent up never sees half a bundle; the cache keeps
 * the few most recently used bundles (a running cluster's static pods may still use an older one).
 */
import {
  existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync,
  utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';
import type { Clock } from '../../base/clock.js';
import { systemWallMs } from '../../base/wall-clock.js';
import { buildBundle, bundleSalt, installedEsbuildVersion, loadEsbuild } from './bundle.js';
import { bundleLaunch, TSX_LAUNCH, withNodeArgs, type Launch } from './launch.js';
import { sourceHash } from './source-hash.js';

/** KEPT_BUNDLES: how many bundles the cache keeps (most recently used first); a running
 *  cluster's link (its static pods' restarts) needs its bundle until its next up. ~6 MiB each. */
export const KEPT_BUNDLES = 8;

/** STALE_TMP_MS: a private build directory older than this was left by a dead build. */
const STALE_TMP_MS = 10 * 60_000;

/** BundleOptions: where the repo and the cache are, and what to tell the user. */
export interface BundleOptions {
  repoRoot: string;
  clock: Clock;
  /** The cache directory; default <repo>/node_modules/.cache/k8ts-bundles. */
  cacheDir?: string;
  /** The bundler, loaded only to build; default the esbuild installed with tsx. Tests pass a
   *  fake or a failing one, with its version. */
  esbuild?: () => Promise<typeof Esbuild>;
  esbuildVersion?: string;
  env?: NodeJS.ProcessEnv;
  /** A symlink to point at the bundle; launches name it, not the bundle (see chooseLaunch). */
  linkAt?: string;
  wallMs?: () => number;
  log?(line: string): void;
}

/** prepareLaunch returns the bundle's launch (building it if the cache has none for this tree),
 *  or tsx's — when K8TS_NO_BUNDLE is set, or, with a log line saying why, when the build fails;
 *  with the node arguments of K8TS_NODE_ARGS (space-separated) first. */
export async function prepareLaunch(o: BundleOptions): Promise<Launch> {
  const env = o.env ?? process.env;
  const extra = (env.K8TS_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  return withNodeArgs(await chooseLaunch(o, env), extra);
}

async function chooseLaunch(o: BundleOptions, env: NodeJS.ProcessEnv): Promise<Launch> {
  if (env.K8TS_NO_BUNDLE !== undefined) return TSX_LAUNCH;
  try {
    const dir = await ensureBundle(o);
    if (o.linkAt === undefined) return bundleLaunch(dir);
    // A cluster's processes and static pod manifests name its link (<state>/bundle), which each
    // up and restart points at the current bundle: manifests stay the same when the sources
    // change, so an up on a running cluster does not roll its control plane, and a component
    // (re)started later runs the current build, as it ran the current sources under tsx. Node
    // resolves the link when a process starts, so a running process keeps its own bundle.
    pointLink(o.linkAt, dir);
    return bundleLaunch(o.linkAt);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    o.log?.(`could not bundle the components (${why}); ` +
      'starting them through tsx (slower)');
    return TSX_LAUNCH;
  }
}

/** ensureBundle returns the directory of the current tree's bundle, building it if needed. */
export async function ensureBundle(o: BundleOptions): Promise<string> {
  const cacheDir = o.cacheDir ?? join(o.repoRoot, 'node_modules', '.cache', 'k8ts-bundles');
  const hash = sourceHash(o.repoRoot, bundleSalt(o.esbuildVersion ?? installedEsbuildVersion()));
  const dir = join(cacheDir, hash);
  const wallMs = o.wallMs ?? systemWallMs;
  if (existsSync(dir)) {
    touch(dir, wallMs());
    pointLatest(cacheDir, hash);
    return dir;
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `${hash}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const startMs = o.clock.nowMs();
  try {
    await buildBundle(await (o.esbuild ?? loadEsbuild)(), o.repoRoot, tmp);
    publish(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  o.log?.(`bundled the components in ${((o.clock.nowMs() - startMs) / 1000).toFixed(1)} s: ${dir}`);
  touch(dir, wallMs());
  pointLatest(cacheDir, hash);
  prune(cacheDir, dir, wallMs());
  return dir;
}

/** LATEST: the file naming the last bundle an up used; bin/k8ts.js tries that bundle's CLI
 *  (which runs only if the sources still hash to it, cli-entry.ts). */
export const LATEST = 'latest';

/** pointLatest records hash as the latest bundle (written aside and renamed: never half). */
function pointLatest(cacheDir: string, hash: string): void {
  const file = join(cacheDir, LATEST);
  try {
    if (readFileSync(file, 'utf8').trim() === hash) return;
  } catch {
    // None yet.
  }
  writeFileSync(`${file}.tmp-${process.pid}`, `${hash}\n`);
  renameSync(`${file}.tmp-${process.pid}`, file);
}

/** pointLink points the symlink link at target (made aside and renamed over: never missing). */
function pointLink(link: string, target: string): void {
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/** publish renames a finished build into place; if a concurrent build got there first, its
 *  bundle (of the same sources) is kept. */
function publish(tmp: string, dir: string): void {
  try {
    renameSync(tmp, dir);
  } catch (err) {
    if (!existsSync(dir)) throw err;
  }
}

/** touch marks a bundle as used now (the cache keeps the most recently used). */
function touch(dir: string, nowMs: number): void {
  const t = new Date(nowMs);
  try {
    utimesSync(dir, t, t);
  } catch {
    // Pruned by a concurrent up between the check and now: it is rebuilt next time.
  }
}

/** prune removes all but the KEPT_BUNDLES most recently used bundles (never keep), and private
 *  build directories of builds that died. */
function prune(cacheDir: string, keep: string, nowMs: number): void {
  const entries = readdirSync(cacheDir).map((name) => {
    const path = join(cacheDir, name);
    return { name, path, mtimeMs: statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0 };
  });
  const bundles = entries.filter((e) => /^[0-9a-f]{24}$/.test(e.name) && e.path !== keep)
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const e of bundles.slice(KEPT_BUNDLES - 1)) rmSync(e.path, { recursive: true, force: true });
  const dead = entries.filter((x) => x.name.includes('.tmp-') && nowMs - x.mtimeMs > STALE_TMP_MS);
  for (const e of dead) rmSync(e.path, { recursive: true, force: true });
}

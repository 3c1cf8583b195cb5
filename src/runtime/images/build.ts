/**
 * The image builder's API, called by the runc runtime (PullImage of a built-in image) and the
 * containerd importer (`ctr images import` of the archive): build a recipe once into an OCI
 * layout archive cached under cacheDir/archives, and import it into the store at cacheDir.
 * Concurrent builds (threads or processes) are safe: scratch space is private, the archive
 * appears by rename, and the store serialises imports with its lock.
 */
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { exists, makeOwnedTempDir, removeOrphanedDirs, writeFileAtomic } from './fs-atomic.js';
import { requireTools } from './host-tools.js';
import { buildLayout, layoutArchive } from './layout.js';
import { BUILTIN_RECIPES, builtinImageRefs, findRecipe } from './recipes/index.js';
import type { ImageRecipe } from './recipes/types.js';
import { normalizeImageRef } from './reference.js';
import { ImageStore, type StoredImage } from './store.js';

/** The cache directory when the caller has no better one: ~/.k8ts/images. */
export function defaultImageCacheDir(): string {
  return join(homedir(), '.k8ts', 'images');
}

/** NoRecipeError: the reference names an image no built-in recipe provides (bad input). */
export class NoRecipeError extends Error {
  override name = 'NoRecipeError';
}

/** The outcome of a build: where the archive is and what the store calls the image. */
export interface BuiltImage {
  /** Every reference the recipe tags the image with. */
  refs: string[];
  /** "sha256:<config digest>". */
  id: string;
  /** The OCI layout .tar (for `ctr -n k8s.io images import`). */
  archivePath: string;
}

/** archivePathFor is the cache file of a recipe's archive; the revision invalidates old ones. */
export function archivePathFor(cacheDir: string, recipe: ImageRecipe): string {
  return join(cacheDir, 'archives', `${recipe.name}-r${recipe.revision}.tar`);
}

/** The store built images are imported into (cacheDir itself). */
export function imageStoreFor(cacheDir: string): ImageStore {
  return new ImageStore(cacheDir);
}

/**
 * buildImage makes ref available in the store under cacheDir, building its recipe's archive
 * only when it is not cached. Throws NoRecipeError for images no recipe provides and
 * MissingHostToolError / PackageDownloadError when the host cannot build it.
 */
export async function buildImage(ref: string, cacheDir: string): Promise<BuiltImage> {
  const full = normalizeImageRef(ref);
  const recipe = findRecipe(full);
  if (recipe === null) {
    throw new NoRecipeError(
      `failed to pull and unpack image ${JSON.stringify(full)}: no local recipe builds it ` +
        `(k8ts pulls from no registry; built-in: ${builtinImageRefs().join(', ')})`,
    );
  }
  const store = imageStoreFor(cacheDir);
  const archivePath = archivePathFor(cacheDir, recipe);
  const cached = await exists(archivePath);
  if (!cached) await buildArchive(recipe, cacheDir, archivePath);
  const present = await store.status(full);
  if (cached && present !== null) return { refs: [...recipe.refs], id: present.id, archivePath };
  const imported = await store.importArchive(archivePath);
  const id = imported[0]?.id;
  if (id === undefined) throw new Error(`archive ${archivePath} held no image`);
  return { refs: [...recipe.refs], id, archivePath };
}

/**
 * pullImage is what PullImage means for a runtime with local images only: an image already in
 * the store (any tag, id or repo digest) is used as it is, otherwise its recipe builds it.
 * Throws NoRecipeError when neither works (the kubelet reports ErrImagePull).
 */
export async function pullImage(ref: string, cacheDir: string): Promise<StoredImage> {
  const store = imageStoreFor(cacheDir);
  const present = await store.status(ref);
  if (present !== null) return present;
  await buildImage(ref, cacheDir);
  const built = await store.status(ref);
  if (built === null) throw new Error(`image ${ref} was built but is not in the store`);
  return built;
}

/** buildArchive runs a recipe in a private scratch dir and publishes its layout archive. */
async function buildArchive(recipe: ImageRecipe, cacheDir: string, archivePath: string) {
  const tools = requireTools(recipe.refs[0] ?? recipe.name, recipe.tools);
  await mkdir(join(cacheDir, 'archives'), { recursive: true });
  const scratchRoot = join(cacheDir, 'scratch');
  await removeOrphanedDirs(scratchRoot);
  const scratchDir = await makeOwnedTempDir(scratchRoot, recipe.name);
  try {
    const spec = await recipe.build({
      tools,
      scratchDir,
      downloadsDir: join(cacheDir, 'downloads'),
    });
    await writeFileAtomic(archivePath, layoutArchive(buildLayout(spec)));
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/** One recipe's result in ensureBuiltinImages: the image, or why it could not be built. */
export type BuiltinOutcome =
  { recipe: string; ok: true; image: BuiltImage } | { recipe: string; ok: false; error: Error };

/**
 * ensureBuiltinImages builds and imports every built-in image (pause, busybox, nginx). A
 * recipe that cannot build here (no network for nginx's .deb) is reported, not thrown, so a
 * runtime still starts with the images it can have.
 */
export async function ensureBuiltinImages(cacheDir: string): Promise<BuiltinOutcome[]> {
  const out: BuiltinOutcome[] = [];
  for (const r of BUILTIN_RECIPES) {
    try {
      out.push({
        recipe: r.name,
        ok: true,
        image: await buildImage(r.refs[0] ?? r.name, cacheDir),
      });
    } catch (e) {
      out.push({ recipe: r.name, ok: false, error: e as Error });
    }
  }
  return out;
}

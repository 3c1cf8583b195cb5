/**
 * The runc runtime's view of helper "images"' local store (src/runtime/images): lookups and
 * removal go to ImageStore at imageDir; "pulling" a builtin reference (busybox, nginx, pause)
 * builds it locally with buildImage into the same directory. Nothing is fetched from a registry.
 */
import { buildImage, NoRecipeError } from '../images/build.js';
import { findRecipe } from '../images/recipes/index.js';
import { normalizeImageRef } from '../images/reference.js';
import { ImageStore, type StoredImage } from '../images/store.js';
import type { ImageConfig } from '../images/oci.js';
import type { RuncImage, RuncImageConfig, RuncImageSource } from './image-source.js';

/** runcImageConfig extracts what a container inherits from an OCI image config. */
export function runcImageConfig(config: ImageConfig): RuncImageConfig {
  const c = config.config ?? {};
  return {
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    env: c.Env ?? [],
    workingDir: c.WorkingDir ?? '',
    user: c.User ?? '',
    stopSignal: c.StopSignal ?? '',
  };
}

/** toRuncImage combines the store's description with the overlay lower dirs. */
function toRuncImage(image: StoredImage, lowerDirs: string[]): RuncImage {
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    sizeBytes: image.sizeBytes,
    config: runcImageConfig(image.config),
    lowerDirs,
  };
}

/** StoreImageSource adapts ImageStore (and the builtin recipes) to RuncImageSource. */
export class StoreImageSource implements RuncImageSource {
  private readonly store: ImageStore;

  constructor(readonly rootDir: string) {
    this.store = new ImageStore(rootDir);
  }

  async resolve(ref: string): Promise<RuncImage | undefined> {
    let rootfs;
    try {
      rootfs = await this.store.rootfs(ref);
    } catch {
      return undefined; // an unparsable reference names no image
    }
    if (rootfs === null) return undefined;
    const image = await this.store.status(rootfs.id);
    return image === null ? undefined : toRuncImage(image, rootfs.lowerDirs);
  }

  async list(): Promise<RuncImage[]> {
    return (await this.store.list()).map((image) => toRuncImage(image, []));
  }

  async remove(ref: string): Promise<void> {
    try {
      await this.store.remove(ref);
    } catch (err) {
      if (!/invalid reference|ImageRefError/i.test(String(err))) throw err;
    }
  }

  async buildBuiltin(ref: string): Promise<RuncImage | undefined> {
    let full: string;
    try {
      full = normalizeImageRef(ref);
    } catch {
      return undefined;
    }
    if (findRecipe(full) === null) return undefined;
    try {
      await buildImage(full, this.rootDir);
    } catch (err) {
      if (err instanceof NoRecipeError) return undefined;
      throw err;
    }
    return this.resolve(full);
  }
}

/**
 * The local image store the runc runtime serves CRI's ImageService from (layout on disk:
 * store-files.ts). Every file and directory appears by rename, so a crash or a concurrent writer
 * never leaves a half-written blob, layer, record or tag; writers hold the store lock, readers
 * never wait. Images are addressed by any spelling of a reference, by id ("sha256:<hex>", or the
 * bare hex) or by repo digest ("name@sha256:<manifest>").
 */
import { readFile, rm } from 'node:fs/promises';
import { systemClock, type Clock } from '../../base/clock.js';
import { isDigest } from './digest.js';
import { exists, writeFileAtomic } from './fs-atomic.js';
import {
  layoutArchiveFiles,
  layoutDirFiles,
  type LayoutFiles,
  type LayoutImage,
} from './layout-read.js';
import type { ImageConfig } from './oci.js';
import { parseImageRef } from './reference.js';
import { readArchiveImages } from './docker-archive.js';
import { StoreFiles, type ImageRecord, type StoredLayer } from './store-files.js';
import { collectGarbage, removeStaleTemps } from './store-gc.js';
import { chainIds, ensureLayer } from './store-layers.js';
import { withStoreLock } from './store-lock.js';
import { storeUsage, type StoreUsage } from './store-usage.js';

export { chainIds } from './store-layers.js';
export type { StoredLayer } from './store-files.js';

/** An image as CRI's ImageStatus describes it (plus the parsed config). */
export interface StoredImage {
  /** "sha256:<config digest hex>", containerd's image id. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  manifestDigest: string;
  config: ImageConfig;
}

/** What a runtime needs to mount an image's root with overlayfs. */
export interface ImageRootfs {
  id: string;
  /** Layer directories top first: overlay's `lowerdir=` in order, joined with ':'. */
  lowerDirs: string[];
  config: ImageConfig;
}

/** Options of ImageStore. */
export interface ImageStoreOptions {
  /** Time for lock waits (default the system clock). */
  clock?: Clock;
}

/** ImageStore imports OCI layouts, unpacks them, and answers lookups. */
export class ImageStore {
  private readonly clock: Clock;
  private readonly files: StoreFiles;

  constructor(
    readonly root: string,
    opts: ImageStoreOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.files = new StoreFiles(root);
  }

  /**
   * importArchive imports every image of an OCI layout .tar or a docker archive (docker save,
   * skopeo/buildah docker-archive:); returns them.
   */
  async importArchive(tarPath: string): Promise<StoredImage[]> {
    return this.importFrom(await layoutArchiveFiles(tarPath));
  }

  /** importLayoutDir imports every image of an OCI layout (or unpacked docker archive) dir. */
  async importLayoutDir(dir: string): Promise<StoredImage[]> {
    return this.importFrom(layoutDirFiles(dir));
  }

  /** status finds an image by reference, id or repo digest; null when absent. */
  async status(refOrId: string): Promise<StoredImage | null> {
    const id = await this.resolveId(refOrId);
    return id === null ? null : this.describe(id);
  }

  /** list returns every image in the store (tagged or not). */
  async list(): Promise<StoredImage[]> {
    const tags = await this.files.readTags();
    const out: StoredImage[] = [];
    for (const id of await this.files.recordIds()) {
      const img = await this.describe(id, tags);
      if (img !== null) out.push(img);
    }
    return out;
  }

  /** rootfs returns the overlay lower dirs and config of an image, or null when absent. */
  async rootfs(refOrId: string): Promise<ImageRootfs | null> {
    const id = await this.resolveId(refOrId);
    const rec = id === null ? null : await this.files.readRecord(id);
    if (rec === null) return null;
    const lowerDirs = rec.layers.map((l) => this.files.layerDir(l.chainId)).reverse();
    return { id: rec.id, lowerDirs, config: await this.readConfig(rec.id) };
  }

  /**
   * remove deletes the image a reference or id names with all its tags, as containerd's CRI
   * RemoveImage does, then its layers and blobs no other image uses. False when absent.
   * Callers must not remove images their containers' overlay mounts still use.
   */
  async remove(refOrId: string): Promise<boolean> {
    await this.files.ensureDirs();
    return withStoreLock(this.root, this.clock, async () => {
      const id = await this.resolveId(refOrId);
      if (id === null) return false;
      for (const [tag, tagId] of await this.files.readTags()) {
        if (tagId === id) await rm(this.files.refFile(tag), { force: true });
      }
      await rm(this.files.recordFile(id), { force: true });
      await collectGarbage(this.files);
      return true;
    });
  }

  /** untag removes one reference; the image stays (by id) as containerd keeps untagged images. */
  async untag(ref: string): Promise<boolean> {
    const file = this.files.refFile(parseImageRef(ref).full);
    const existed = await exists(file);
    await rm(file, { force: true });
    return existed;
  }

  /** resolveId turns a reference, id or repo digest into an image id present in the store. */
  async resolveId(refOrId: string): Promise<string | null> {
    if (isDigest(refOrId)) return (await this.files.readRecord(refOrId)) !== null ? refOrId : null;
    if (/^[0-9a-f]{64}$/.test(refOrId)) return this.resolveId(`sha256:${refOrId}`);
    const ref = parseImageRef(refOrId);
    if (ref.digest !== undefined) return this.findByManifest(ref.repository, ref.digest);
    const id = (await readFile(this.files.refFile(ref.full), 'utf8').catch(() => '')).trim();
    return id !== '' && (await this.files.readRecord(id)) !== null ? id : null;
  }

  /** usage reports the store's disk usage (CRI ImageFsInfo). */
  usage(): Promise<StoreUsage> {
    return storeUsage(this.root);
  }

  /** layerDir is where a layer with this ChainID is unpacked. */
  layerDir(chainId: string): string {
    return this.files.layerDir(chainId);
  }

  private async importFrom(layout: LayoutFiles): Promise<StoredImage[]> {
    const images = await readArchiveImages(layout);
    if (images.length === 0) throw new Error('the image layout names no linux/amd64 image');
    await this.files.ensureDirs();
    const ids = await withStoreLock(this.root, this.clock, async () => {
      await removeStaleTemps(this.files);
      const out: string[] = [];
      for (const img of images) out.push(await this.importOne(img));
      return out;
    });
    const tags = await this.files.readTags();
    const described = await Promise.all([...new Set(ids)].map((id) => this.describe(id, tags)));
    return described.filter((d): d is StoredImage => d !== null);
  }

  /** importOne stores one image's blobs, unpacks its layers, writes its record and tag. */
  private async importOne(img: LayoutImage): Promise<string> {
    const id = img.manifest.config.digest;
    const diffIds = img.config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const layers: StoredLayer[] = [];
    for (const [i, desc] of img.manifest.layers.entries()) {
      const diffId = diffIds[i] ?? '';
      const chainId = chains[i] ?? '';
      const blob = await img.readLayer(i);
      await this.files.putBlob(desc.digest, blob);
      const dir = this.files.layerDir(chainId);
      const lowerDirs = chains
        .slice(0, i)
        .map((c) => this.files.layerDir(c))
        .reverse();
      await ensureLayer({ mediaType: desc.mediaType, blob, diffId, dir, lowerDirs });
      layers.push({ digest: desc.digest, diffId, chainId, sizeBytes: desc.size });
    }
    await this.files.putBlob(id, img.configBytes);
    await this.files.putBlob(img.manifestDigest, img.manifestBytes);
    const metaBytes = img.configBytes.length + img.manifestBytes.length;
    const sizeBytes = layers.reduce((n, l) => n + l.sizeBytes, metaBytes);
    const record: ImageRecord = { id, manifestDigest: img.manifestDigest, layers, sizeBytes };
    await writeFileAtomic(this.files.recordFile(id), JSON.stringify(record));
    if (img.ref !== null) await writeFileAtomic(this.files.refFile(img.ref), id);
    return id;
  }

  /** describe builds the CRI view of an image; tags may be passed in to avoid re-reading. */
  private async describe(id: string, tags?: Map<string, string>): Promise<StoredImage | null> {
    const rec = await this.files.readRecord(id);
    if (rec === null) return null;
    const repoTags = [...(tags ?? (await this.files.readTags()))]
      .filter(([, t]) => t === id)
      .map(([ref]) => ref)
      .sort();
    const repos = new Set(repoTags.map((t) => parseImageRef(t).repository));
    const repoDigests = [...repos].map((r) => `${r}@${rec.manifestDigest}`);
    const { sizeBytes, manifestDigest } = rec;
    const config = await this.readConfig(id);
    return { id, repoTags, repoDigests, sizeBytes, manifestDigest, config };
  }

  private async readConfig(id: string): Promise<ImageConfig> {
    return JSON.parse(await readFile(this.files.blobFile(id), 'utf8')) as ImageConfig;
  }

  private async findByManifest(repository: string, manifestDigest: string): Promise<string | null> {
    for (const img of await this.list()) {
      if (img.repoDigests.includes(`${repository}@${manifestDigest}`)) return img.id;
    }
    return null;
  }
}

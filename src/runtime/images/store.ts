/**
 * The local image store the runc runtime serves CRI's ImageService from. On disk, under root:
 *   blobs/sha256/<hex>       content (manifests, configs, compressed layers)
 *   layers/<chainid hex>/    one unpacked layer in overlay form (see unpack.ts)
 *   images/<id hex>.json     one record per image (id = sha256 of its config, as containerd)
 *   refs/<uri-encoded ref>   a tag: the file holds the image id
 *   lock                     held by writers (import, remove); readers never wait
 * Every file and directory appears by rename, so a crash or a concurrent writer never leaves a
 * half-written blob, layer, record or tag. Images are addressed by any spelling of a reference,
 * by id ("sha256:<hex>") or by repo digest ("name@sha256:<manifest>").
 */
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { systemClock, type Clock } from '../../base/clock.js';
import { digestHex, isDigest, sha256Digest } from './digest.js';
import { makeTempDirBeside, publishDir, TEMP_PREFIX, writeFileAtomic } from './fs-atomic.js';
import {
  layoutArchiveFiles,
  layoutDirFiles,
  readBlob,
  readLayoutImages,
  type LayoutFiles,
  type LayoutImage,
} from './layout-read.js';
import { layerCompression, type ImageConfig } from './oci.js';
import { parseImageRef } from './reference.js';
import { withStoreLock } from './store-lock.js';
import { storeUsage, type StoreUsage } from './store-usage.js';
import { readTar } from './tar-read.js';
import { unpackLayer } from './unpack.js';

/** The largest uncompressed layer unpacked (Node buffers stop a little above 2 GiB). */
export const MAX_LAYER_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** One layer of a stored image. */
export interface StoredLayer {
  digest: string;
  diffId: string;
  chainId: string;
  sizeBytes: number;
}

/** The persistent record of one image. */
interface ImageRecord {
  id: string;
  manifestDigest: string;
  layers: StoredLayer[];
  sizeBytes: number;
}

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

/** chainIdOf computes OCI ChainIDs: the first layer's is its diff_id, each next hashes on it. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(Buffer.from(`${prev} ${d}`, 'utf8')));
  }
  return out;
}

/** Options of ImageStore. */
export interface ImageStoreOptions {
  /** Time for lock waits (default the system clock). */
  clock?: Clock;
}

/** ImageStore imports OCI layouts, unpacks them, and answers lookups. */
export class ImageStore {
  private readonly clock: Clock;

  constructor(
    readonly root: string,
    opts: ImageStoreOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** importArchive imports every named image of an OCI layout .tar; returns them. */
  async importArchive(tarPath: string): Promise<StoredImage[]> {
    return this.importFrom(await layoutArchiveFiles(tarPath));
  }

  /** importLayoutDir imports every image of an OCI layout directory. */
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
    const out: StoredImage[] = [];
    const tags = await this.readTags();
    for (const f of await this.listDir('images')) {
      if (!f.endsWith('.json') || f.startsWith(TEMP_PREFIX)) continue;
      const img = await this.describe(`sha256:${f.slice(0, -5)}`, tags);
      if (img !== null) out.push(img);
    }
    return out;
  }

  /** rootfs returns the overlay lower dirs and config of an image, or null when absent. */
  async rootfs(refOrId: string): Promise<ImageRootfs | null> {
    const id = await this.resolveId(refOrId);
    const rec = id === null ? null : await this.readRecord(id);
    if (rec === null) return null;
    const config = JSON.parse(await readFile(this.blobFile(rec.id), 'utf8')) as ImageConfig;
    const lowerDirs = rec.layers.map((l) => this.layerDir(l.chainId)).reverse();
    return { id: rec.id, lowerDirs, config };
  }

  /**
   * remove deletes the image a reference or id names with all its tags, as containerd's CRI
   * RemoveImage does, then its layers and blobs no other image uses. False when absent.
   */
  async remove(refOrId: string): Promise<boolean> {
    await this.ensureDirs();
    return withStoreLock(this.root, this.clock, async () => {
      const id = await this.resolveId(refOrId);
      if (id === null) return false;
      for (const [tag, tagId] of await this.readTags()) {
        if (tagId === id) await rm(this.refFile(tag), { force: true });
      }
      await rm(this.recordFile(id), { force: true });
      await this.collectGarbage();
      return true;
    });
  }

  /** untag removes one reference; the image stays (by id) as containerd keeps untagged images. */
  async untag(ref: string): Promise<boolean> {
    const full = parseImageRef(ref).full;
    const existed = await stat(this.refFile(full)).then(
      () => true,
      () => false,
    );
    await rm(this.refFile(full), { force: true });
    return existed;
  }

  /** resolveId turns a reference, id or repo digest into an image id present in the store. */
  async resolveId(refOrId: string): Promise<string | null> {
    if (isDigest(refOrId)) return (await this.readRecord(refOrId)) !== null ? refOrId : null;
    if (/^[0-9a-f]{64}$/.test(refOrId)) return this.resolveId(`sha256:${refOrId}`);
    const ref = parseImageRef(refOrId);
    if (ref.digest !== undefined) return this.findByManifest(ref.repository, ref.digest);
    const id = (await readFile(this.refFile(ref.full), 'utf8').catch(() => '')).trim();
    return id !== '' && (await this.readRecord(id)) !== null ? id : null;
  }

  /** usage reports the store's disk usage (CRI ImageFsInfo). */
  usage(): Promise<StoreUsage> {
    return storeUsage(this.root);
  }

  /** layerDir is where a layer with this ChainID is unpacked. */
  layerDir(chainId: string): string {
    return join(this.root, 'layers', digestHex(chainId));
  }

  private async importFrom(files: LayoutFiles): Promise<StoredImage[]> {
    const images = await readLayoutImages(files);
    if (images.length === 0) throw new Error('the image layout names no linux/amd64 image');
    await this.ensureDirs();
    const ids = await withStoreLock(this.root, this.clock, async () => {
      await this.removeStaleTemps();
      const out: string[] = [];
      for (const img of images) out.push(await this.importOne(files, img));
      return out;
    });
    const tags = await this.readTags();
    const described = await Promise.all([...new Set(ids)].map((id) => this.describe(id, tags)));
    return described.filter((d): d is StoredImage => d !== null);
  }

  /** importOne stores one image's blobs, unpacks its layers, writes its record and tag. */
  private async importOne(files: LayoutFiles, img: LayoutImage): Promise<string> {
    const id = img.manifest.config.digest;
    const diffIds = img.config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const layers: StoredLayer[] = [];
    for (const [i, desc] of img.manifest.layers.entries()) {
      const diffId = diffIds[i] ?? '';
      const chainId = chains[i] ?? '';
      const blob = await readBlob(files, desc);
      await this.putBlob(desc.digest, blob);
      const lowers = chains
        .slice(0, i)
        .reverse()
        .map((c) => this.layerDir(c));
      await this.ensureLayer(desc.mediaType, blob, diffId, chainId, lowers);
      layers.push({ digest: desc.digest, diffId, chainId, sizeBytes: desc.size });
    }
    await this.putBlob(id, img.configBytes);
    await this.putBlob(img.manifestDigest, img.manifestBytes);
    const sizeBytes =
      layers.reduce((n, l) => n + l.sizeBytes, 0) +
      img.configBytes.length +
      img.manifestBytes.length;
    const record: ImageRecord = { id, manifestDigest: img.manifestDigest, layers, sizeBytes };
    await writeFileAtomic(this.recordFile(id), JSON.stringify(record));
    if (img.ref !== null) await writeFileAtomic(this.refFile(img.ref), id);
    return id;
  }

  /** ensureLayer unpacks a layer into layers/<chainid> unless it is already there. */
  private async ensureLayer(
    mediaType: string,
    blob: Buffer,
    diffId: string,
    chainId: string,
    lowerDirs: string[],
  ): Promise<void> {
    const dest = this.layerDir(chainId);
    if (
      await stat(dest).then(
        () => true,
        () => false,
      )
    )
      return;
    const compression = layerCompression(mediaType);
    if (compression === null) throw new Error(`unsupported layer media type ${mediaType}`);
    const tar =
      compression === 'gzip' ? gunzipSync(blob, { maxOutputLength: MAX_LAYER_BYTES }) : blob;
    const got = sha256Digest(tar);
    if (got !== diffId)
      throw new Error(`layer diff_id mismatch: config says ${diffId}, got ${got}`);
    const tmp = await makeTempDirBeside(dest);
    try {
      await unpackLayer(readTar(tar), { dir: tmp, lowerDirs });
      await publishDir(tmp, dest);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private async putBlob(digest: string, data: Buffer): Promise<void> {
    const p = this.blobFile(digest);
    if (
      !(await stat(p).then(
        () => true,
        () => false,
      ))
    )
      await writeFileAtomic(p, data);
  }

  /** describe builds the CRI view of an image; tags may be passed in to avoid re-reading. */
  private async describe(id: string, tags?: Map<string, string>): Promise<StoredImage | null> {
    const rec = await this.readRecord(id);
    if (rec === null) return null;
    const config = JSON.parse(await readFile(this.blobFile(id), 'utf8')) as ImageConfig;
    const repoTags = [...(tags ?? (await this.readTags()))]
      .filter(([, t]) => t === id)
      .map(([ref]) => ref)
      .sort();
    const repos = new Set(repoTags.map((t) => parseImageRef(t).repository));
    const repoDigests = [...repos].map((r) => `${r}@${rec.manifestDigest}`);
    return {
      id,
      repoTags,
      repoDigests,
      sizeBytes: rec.sizeBytes,
      manifestDigest: rec.manifestDigest,
      config,
    };
  }

  private async findByManifest(repository: string, manifestDigest: string): Promise<string | null> {
    for (const img of await this.list()) {
      if (img.manifestDigest !== manifestDigest) continue;
      if (img.repoDigests.includes(`${repository}@${manifestDigest}`)) return img.id;
    }
    return null;
  }

  /** collectGarbage removes layers and blobs no record uses (called with the lock held). */
  private async collectGarbage(): Promise<void> {
    const keepLayers = new Set<string>();
    const keepBlobs = new Set<string>();
    for (const f of await this.listDir('images')) {
      if (!f.endsWith('.json') || f.startsWith(TEMP_PREFIX)) continue;
      const rec = await this.readRecord(`sha256:${f.slice(0, -5)}`);
      if (rec === null) continue;
      keepBlobs.add(digestHex(rec.id)).add(digestHex(rec.manifestDigest));
      for (const l of rec.layers) {
        keepBlobs.add(digestHex(l.digest));
        keepLayers.add(digestHex(l.chainId));
      }
    }
    for (const l of await this.listDir('layers')) {
      if (!keepLayers.has(l))
        await rm(join(this.root, 'layers', l), { recursive: true, force: true });
    }
    for (const b of await this.listDir('blobs/sha256')) {
      if (!keepBlobs.has(b)) await rm(join(this.root, 'blobs/sha256', b), { force: true });
    }
  }

  /** removeStaleTemps deletes temporaries of crashed writers (only ever with the lock held). */
  private async removeStaleTemps(): Promise<void> {
    for (const sub of ['layers', 'blobs/sha256', 'images', 'refs']) {
      for (const f of await this.listDir(sub)) {
        if (f.startsWith(TEMP_PREFIX))
          await rm(join(this.root, sub, f), { recursive: true, force: true });
      }
    }
  }

  private async readTags(): Promise<Map<string, string>> {
    const tags = new Map<string, string>();
    for (const f of await this.listDir('refs')) {
      if (f.startsWith(TEMP_PREFIX)) continue;
      const id = (await readFile(join(this.root, 'refs', f), 'utf8').catch(() => '')).trim();
      if (id !== '') tags.set(decodeURIComponent(f), id);
    }
    return tags;
  }

  private async readRecord(id: string): Promise<ImageRecord | null> {
    if (!isDigest(id)) return null;
    const text = await readFile(this.recordFile(id), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as ImageRecord);
  }

  private async ensureDirs(): Promise<void> {
    for (const sub of ['blobs/sha256', 'layers', 'images', 'refs']) {
      await mkdir(join(this.root, sub), { recursive: true });
    }
  }

  private listDir(sub: string): Promise<string[]> {
    return readdir(join(this.root, sub)).catch(() => [] as string[]);
  }

  private blobFile(digest: string): string {
    return join(this.root, 'blobs/sha256', digestHex(digest));
  }

  private recordFile(id: string): string {
    return join(this.root, 'images', `${digestHex(id)}.json`);
  }

  private refFile(fullRef: string): string {
    return join(this.root, 'refs', encodeURIComponent(fullRef));
  }
}

/**
 * The image store's on-disk layout and its low-level reads and writes, shared by the store's
 * operations and its garbage collector. Layout under root:
 *   blobs/sha256/<hex>       content (manifests, configs, compressed layers)
 *   layers/<chainid hex>/    one unpacked layer in overlay form (see unpack.ts)
 *   images/<id hex>.json     one record per image (id = sha256 of its config, as containerd)
 *   refs/<uri-encoded ref>   a tag: the file holds the image id
 *   lock                     held by writers (import, remove); readers never wait
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, isDigest } from './digest.js';
import { exists, TEMP_PREFIX, writeFileAtomic } from './fs-atomic.js';

/** The store's sub-directories (each may hold temporaries of a crashed writer). */
export const STORE_SUBDIRS = ['blobs/sha256', 'layers', 'images', 'refs'] as const;

/** One layer of a stored image. */
export interface StoredLayer {
  digest: string;
  diffId: string;
  chainId: string;
  sizeBytes: number;
}

/** The persistent record of one image. */
export interface ImageRecord {
  id: string;
  manifestDigest: string;
  layers: StoredLayer[];
  sizeBytes: number;
}

/** StoreFiles names the store's files and reads and writes them. */
export class StoreFiles {
  constructor(readonly root: string) {}

  /** blobFile is where a blob with this digest is stored. */
  blobFile(digest: string): string {
    return join(this.root, 'blobs/sha256', digestHex(digest));
  }

  /** recordFile is where an image's record is stored. */
  recordFile(id: string): string {
    return join(this.root, 'images', `${digestHex(id)}.json`);
  }

  /** refFile is a tag's file (the reference URI-encoded into one file name). */
  refFile(fullRef: string): string {
    return join(this.root, 'refs', encodeURIComponent(fullRef));
  }

  /** layerDir is where a layer with this ChainID is unpacked. */
  layerDir(chainId: string): string {
    return join(this.root, 'layers', digestHex(chainId));
  }

  /** ensureDirs creates the store's sub-directories (writers call it before locking). */
  async ensureDirs(): Promise<void> {
    for (const sub of STORE_SUBDIRS) await mkdir(join(this.root, sub), { recursive: true });
  }

  /** listDir lists a sub-directory ([] when absent), temporaries included. */
  listDir(sub: string): Promise<string[]> {
    return readdir(join(this.root, sub)).catch(() => [] as string[]);
  }

  /** putBlob stores content once (content-addressed: an existing blob is the same bytes). */
  async putBlob(digest: string, data: Buffer): Promise<void> {
    const p = this.blobFile(digest);
    if (!(await exists(p))) await writeFileAtomic(p, data);
  }

  /** readTags maps every tag (normalised reference) to its image id. */
  async readTags(): Promise<Map<string, string>> {
    const tags = new Map<string, string>();
    for (const f of await this.listDir('refs')) {
      if (f.startsWith(TEMP_PREFIX)) continue;
      const id = (await readFile(join(this.root, 'refs', f), 'utf8').catch(() => '')).trim();
      if (id !== '') tags.set(decodeURIComponent(f), id);
    }
    return tags;
  }

  /** readRecord returns an image's record, or null when there is none. */
  async readRecord(id: string): Promise<ImageRecord | null> {
    if (!isDigest(id)) return null;
    const text = await readFile(this.recordFile(id), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as ImageRecord);
  }

  /** recordIds lists the ids of every image with a record. */
  async recordIds(): Promise<string[]> {
    const names = await this.listDir('images');
    return names
      .filter((f) => f.endsWith('.json') && !f.startsWith(TEMP_PREFIX))
      .map((f) => `sha256:${f.slice(0, -'.json'.length)}`)
      .filter(isDigest);
  }
}

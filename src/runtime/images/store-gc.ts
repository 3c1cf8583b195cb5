/**
 * The image store's garbage collection: after an image is removed, its layers and blobs go
 * unless another image still uses them; temporaries of crashed writers go too. Both run only
 * while the store lock is held, so no in-flight import can lose what it just wrote.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './digest.js';
import { TEMP_PREFIX } from './fs-atomic.js';
import { STORE_SUBDIRS, type StoreFiles } from './store-files.js';

/** collectGarbage removes layers and blobs no image record refers to. */
export async function collectGarbage(files: StoreFiles): Promise<void> {
  const keepLayers = new Set<string>();
  const keepBlobs = new Set<string>();
  for (const id of await files.recordIds()) {
    const rec = await files.readRecord(id);
    if (rec === null) continue;
    keepBlobs.add(digestHex(rec.id)).add(digestHex(rec.manifestDigest));
    for (const l of rec.layers) {
      keepBlobs.add(digestHex(l.digest));
      keepLayers.add(digestHex(l.chainId));
    }
  }
  for (const l of await files.listDir('layers')) {
    if (!keepLayers.has(l))
      await rm(join(files.root, 'layers', l), { recursive: true, force: true });
  }
  for (const b of await files.listDir('blobs/sha256')) {
    if (!keepBlobs.has(b)) await rm(join(files.root, 'blobs/sha256', b), { force: true });
  }
}

/** removeStaleTemps deletes the temporaries crashed writers left behind. */
export async function removeStaleTemps(files: StoreFiles): Promise<void> {
  for (const sub of STORE_SUBDIRS) {
    for (const f of await files.listDir(sub)) {
      if (f.startsWith(TEMP_PREFIX)) {
        await rm(join(files.root, sub, f), { recursive: true, force: true });
      }
    }
  }
}

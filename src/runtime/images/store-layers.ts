/**
 * Layers in the image store: ChainIDs (a layer directory's identity, since its overlay form
 * depends on the layers below it) and unpacking a layer blob once, verified against its diff_id,
 * into layers/<chainid> through a temporary directory and a rename.
 */
import { rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { sha256Digest } from './digest.js';
import { exists, makeTempDirBeside, publishDir } from './fs-atomic.js';
import { layerCompression } from './oci.js';
import { readTar } from './tar-read.js';
import { unpackLayer } from './unpack.js';

/** The largest uncompressed layer unpacked (Node buffers stop a little above 2 GiB). */
export const MAX_LAYER_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** chainIds computes OCI ChainIDs: the first layer's is its diff_id, each next hashes on it. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(Buffer.from(`${prev} ${d}`, 'utf8')));
  }
  return out;
}

/** A layer blob to unpack and where. */
export interface LayerToUnpack {
  mediaType: string;
  blob: Buffer;
  diffId: string;
  /** layers/<chainid>: the destination. */
  dir: string;
  /** The layer directories below, nearest first. */
  lowerDirs: string[];
}

/** ensureLayer unpacks a layer into its directory unless it is already there. */
export async function ensureLayer(l: LayerToUnpack): Promise<void> {
  if (await exists(l.dir)) return;
  const compression = layerCompression(l.mediaType);
  if (compression === null) throw new Error(`unsupported layer media type ${l.mediaType}`);
  const tar =
    compression === 'gzip' ? gunzipSync(l.blob, { maxOutputLength: MAX_LAYER_BYTES }) : l.blob;
  const got = sha256Digest(tar);
  if (got !== l.diffId) {
    throw new Error(`layer diff_id mismatch: config says ${l.diffId}, got ${got}`);
  }
  const tmp = await makeTempDirBeside(l.dir);
  try {
    await unpackLayer(readTar(tar), { dir: tmp, lowerDirs: l.lowerDirs });
    await publishDir(tmp, l.dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

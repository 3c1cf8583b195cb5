/**
 * Reading an OCI image layout — a directory or its .tar — into what the store imports: for each
 * named manifest, its reference, the verified config and layer descriptors. Blob digests are
 * checked on read, so a corrupt or tampered layout fails loudly instead of running.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Digest } from './digest.js';
import { blobPath } from './layout.js';
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  isIndexMediaType,
  isManifestMediaType,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from './oci.js';
import { normalizeImageRef } from './reference.js';
import { readTar } from './tar-read.js';

/** The largest layout archive read into memory. */
export const MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** A bound on nested indexes (an index pointing at itself must not loop). */
const MAX_INDEX_DEPTH = 4;

/** Reads a file of a layout by its relative path (directory or archive). */
export type LayoutFiles = (relPath: string) => Promise<Buffer>;

/** One image found in a layout. */
export interface LayoutImage {
  /** Normalised reference, or null when the layout gives only a bare tag (import by id). */
  ref: string | null;
  manifestDigest: string;
  manifestBytes: Buffer;
  manifest: Manifest;
  configBytes: Buffer;
  config: ImageConfig;
  /** Reads layer i's blob (as manifest.layers[i] describes it), verified. */
  readLayer(index: number): Promise<Buffer>;
}

/** layoutDirFiles reads a layout directory. */
export function layoutDirFiles(dir: string): LayoutFiles {
  return (rel) => readFile(join(dir, rel));
}

/** layoutArchiveFiles reads a layout .tar (held in memory; layouts of local images are small). */
export async function layoutArchiveFiles(tarPath: string): Promise<LayoutFiles> {
  const st = await stat(tarPath);
  if (st.size > MAX_ARCHIVE_BYTES)
    throw new Error(`${tarPath} is larger than ${MAX_ARCHIVE_BYTES} bytes`);
  const files = new Map<string, Buffer>();
  for (const e of readTar(await readFile(tarPath))) {
    if (e.type === 'file')
      files.set(e.path, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length));
  }
  return async (rel) => {
    const f = files.get(rel);
    if (f === undefined) throw new Error(`${tarPath} has no ${rel}`);
    return f;
  };
}

/** readBlob reads and verifies a blob by descriptor. */
export async function readBlob(files: LayoutFiles, d: Descriptor): Promise<Buffer> {
  const data = await files(blobPath(d.digest));
  const got = sha256Digest(data);
  if (got !== d.digest) throw new Error(`blob ${d.digest} is corrupt (content hashes to ${got})`);
  return data;
}

/** readLayoutImages lists every image the layout's index.json names. */
export async function readLayoutImages(files: LayoutFiles): Promise<LayoutImage[]> {
  const index = parseJson<ImageIndex>(await files('index.json'), 'index.json');
  if (!Array.isArray(index.manifests)) throw new Error('index.json has no manifests');
  const out: LayoutImage[] = [];
  for (const d of index.manifests) {
    const manifestDesc = await pickManifest(files, d, 0);
    if (manifestDesc === null) continue;
    const manifestBytes = await readBlob(files, manifestDesc);
    const manifest = parseJson<Manifest>(manifestBytes, `manifest ${manifestDesc.digest}`);
    const configBytes = await readBlob(files, manifest.config);
    const config = parseJson<ImageConfig>(configBytes, `config ${manifest.config.digest}`);
    const ids = config.rootfs?.diff_ids ?? [];
    if (ids.length !== manifest.layers.length) {
      throw new Error(
        `image ${manifestDesc.digest}: ${manifest.layers.length} layers, ${ids.length} diff_ids`,
      );
    }
    out.push({
      ref: refOf(d),
      manifestDigest: manifestDesc.digest,
      manifestBytes,
      manifest,
      configBytes,
      config,
      readLayer: (i) => readBlob(files, manifest.layers[i] ?? missingLayer(i)),
    });
  }
  return out;
}

function missingLayer(i: number): never {
  throw new Error(`the manifest has no layer ${i}`);
}

/** refOf names an index entry: containerd's full name, else a ref.name that is a full ref. */
function refOf(d: Descriptor): string | null {
  const full = d.annotations?.[ANNOTATION_CONTAINERD_NAME];
  if (full !== undefined) return normalizeImageRef(full);
  const tag = d.annotations?.[ANNOTATION_REF_NAME];
  if (tag !== undefined && (tag.includes('/') || tag.includes(':'))) return normalizeImageRef(tag);
  return null;
}

/** pickManifest follows nested indexes to the linux/amd64 manifest (null if none fits). */
async function pickManifest(
  files: LayoutFiles,
  d: Descriptor,
  depth: number,
): Promise<Descriptor | null> {
  if (isManifestMediaType(d.mediaType)) return d;
  if (!isIndexMediaType(d.mediaType) || depth >= MAX_INDEX_DEPTH) return null;
  const nested = parseJson<ImageIndex>(await readBlob(files, d), `index ${d.digest}`);
  for (const m of nested.manifests ?? []) {
    const p = m.platform;
    if (p === undefined || (p.os === 'linux' && p.architecture === 'amd64')) {
      const found = await pickManifest(files, m, depth + 1);
      if (found !== null) return found;
    }
  }
  return null;
}

/** parseJson parses a document of the layout, naming it in the error. */
export function parseJson<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

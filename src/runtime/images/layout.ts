/**
 * Builds an OCI image layout in memory (pure: rootfs entries + config in, file map out) and its
 * .tar, the form `ctr -n k8s.io images import` and `skopeo inspect oci-archive:` accept. Layers
 * are deterministic tars compressed like `gzip -n` (zlib, no name, mtime 0), so the same recipe
 * on the same host gives the same digests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assert } from '../../base/assert.js';
import { digestHex, sha256Digest } from './digest.js';
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  MEDIA_TYPE,
  OCI_LAYOUT_FILE,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageRuntimeConfig,
  type Manifest,
} from './oci.js';
import { parseImageRef } from './reference.js';
import type { TarEntry } from './tar-entry.js';
import { FIXED_MTIME_SEC, writeTar } from './tar-write.js';

/** The platform every built image declares (the nodes this project runs on). */
export const BUILD_PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

/** What an image is made of. */
export interface ImageSpec {
  /** References the layout names the image by (normalised on the way in). */
  refs: string[];
  /** The process defaults (Entrypoint, Cmd, Env, ...). */
  config: ImageRuntimeConfig;
  /** Layers, bottom first; each is the list of its members. */
  layers: TarEntry[][];
  /** created timestamp in the config; fixed by default so builds are reproducible. */
  created?: string;
  /** history created_by texts, one per layer (defaults to "k8ts image recipe"). */
  createdBy?: string;
}

/** A layout held in memory: relative path → bytes, plus the digests callers key by. */
export interface BuiltLayout {
  files: Map<string, Buffer>;
  manifestDigest: string;
  configDigest: string;
  diffIds: string[];
  /** Sum of the compressed layer sizes plus config and manifest (what CRI reports as size). */
  sizeBytes: number;
}

/** A layer as stored: the gzip blob and the digest of the uncompressed tar. */
interface BuiltLayer {
  blob: Buffer;
  descriptor: Descriptor;
  diffId: string;
}

/** gzipLikeGzipN compresses as `gzip -n`: a header with no file name and mtime 0. */
export function gzipLikeGzipN(data: Uint8Array): Buffer {
  return gzipSync(data, { level: 6 });
}

/** buildLayer turns a layer's members into its tar, diff_id and gzip blob. */
function buildLayer(entries: readonly TarEntry[]): BuiltLayer {
  const tar = writeTar(entries, { mtimeSec: FIXED_MTIME_SEC });
  const blob = gzipLikeGzipN(tar);
  const descriptor = {
    mediaType: MEDIA_TYPE.layerTarGzip,
    digest: sha256Digest(blob),
    size: blob.length,
  };
  return { blob, descriptor, diffId: sha256Digest(tar) };
}

/** canonicalJson serialises a document the same way every time (key order as constructed). */
function canonicalJson(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** buildLayout assembles config, manifest, index.json and oci-layout around the layers. */
export function buildLayout(spec: ImageSpec): BuiltLayout {
  assert(spec.refs.length > 0, 'buildLayout: an image needs at least one reference');
  const created =
    spec.created ?? new Date(FIXED_MTIME_SEC * 1000).toISOString().replace('.000Z', 'Z');
  const layers = spec.layers.map(buildLayer);
  const config: ImageConfig = {
    created,
    architecture: BUILD_PLATFORM.architecture,
    os: BUILD_PLATFORM.os,
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: spec.createdBy ?? 'k8ts image recipe' })),
  };
  const configBytes = canonicalJson(config);
  const configDesc = {
    mediaType: MEDIA_TYPE.config,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: configDesc,
    layers: layers.map((l) => l.descriptor),
  };
  const manifestBytes = canonicalJson(manifest);
  const manifestDigest = sha256Digest(manifestBytes);
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: spec.refs.map((r) => indexEntry(r, manifestDigest, manifestBytes.length)),
  };
  const files = new Map<string, Buffer>();
  files.set('oci-layout', canonicalJson(OCI_LAYOUT_FILE));
  files.set('index.json', canonicalJson(index));
  const putBlob = (digest: string, bytes: Buffer) => files.set(blobPath(digest), bytes);
  for (const l of layers) putBlob(l.descriptor.digest, l.blob);
  putBlob(configDesc.digest, configBytes);
  putBlob(manifestDigest, manifestBytes);
  const sizeBytes =
    layers.reduce((n, l) => n + l.blob.length, 0) + configBytes.length + manifestBytes.length;
  return {
    files,
    manifestDigest,
    configDigest: configDesc.digest,
    diffIds: layers.map((l) => l.diffId),
    sizeBytes,
  };
}

/** indexEntry names the manifest by a reference: containerd's full name and the OCI tag. */
function indexEntry(ref: string, digest: string, size: number): Descriptor {
  const parsed = parseImageRef(ref);
  const annotations: Record<string, string> = { [ANNOTATION_CONTAINERD_NAME]: parsed.full };
  if (parsed.tag !== undefined) annotations[ANNOTATION_REF_NAME] = parsed.tag;
  return {
    mediaType: MEDIA_TYPE.manifest,
    digest,
    size,
    annotations,
    platform: { ...BUILD_PLATFORM },
  };
}

/** blobPath is where a layout stores a blob: blobs/sha256/<hex>. */
export function blobPath(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/** layoutArchive is the .tar of a layout (oci-layout, index.json, blobs/...). */
export function layoutArchive(layout: BuiltLayout): Buffer {
  const dir = (path: string): TarEntry => ({ type: 'dir', path, mode: 0o755, uid: 0, gid: 0 });
  const entries: TarEntry[] = [dir('blobs'), dir('blobs/sha256')];
  for (const [path, data] of layout.files) {
    entries.push({ type: 'file', path, mode: 0o644, uid: 0, gid: 0, data });
  }
  return writeTar(entries);
}

/** writeLayoutDir writes a layout's files under dir (for tools that take `oci:<dir>`). */
export async function writeLayoutDir(layout: BuiltLayout, dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [path, data] of layout.files) await writeFile(join(dir, path), data);
}

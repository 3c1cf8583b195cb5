/**
 * The OCI image-spec documents we write and read (image-layout, index, manifest, config), as
 * TypeScript types plus the media types. Docker's v2 spellings are accepted on import because
 * skopeo/docker archives use them; we always write the OCI ones.
 */

/** Media types of the OCI image spec v1. */
export const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** Docker v2 media types that mean the same thing as an OCI one (accepted on import only). */
export const DOCKER_MEDIA_TYPE = {
  manifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The annotation containerd's `ctr images import` names an image by (full reference). */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';
/** The OCI annotation for the tag of a manifest inside a layout. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/** The content of the oci-layout file. */
export const OCI_LAYOUT_FILE = { imageLayoutVersion: '1.0.0' } as const;

/** A content descriptor: what a blob is, its address and its size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** The runtime part of an image config (the fields a container's process is made from). */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  StopSignal?: string;
  Labels?: Record<string, string>;
}

/** An image config (application/vnd.oci.image.config.v1+json). */
export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean }>;
}

/** An image manifest. */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (index.json of a layout, or a multi-platform index blob). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** isIndexMediaType says whether a descriptor points at another index (multi-platform images). */
export function isIndexMediaType(mt: string): boolean {
  return mt === MEDIA_TYPE.index || mt === DOCKER_MEDIA_TYPE.manifestList;
}

/** isManifestMediaType says whether a descriptor points at an image manifest. */
export function isManifestMediaType(mt: string): boolean {
  return mt === MEDIA_TYPE.manifest || mt === DOCKER_MEDIA_TYPE.manifest;
}

/** layerCompression tells how a layer blob is stored, or null for a media type we cannot unpack. */
export function layerCompression(mt: string): 'gzip' | 'none' | null {
  if (mt === MEDIA_TYPE.layerTarGzip || mt === DOCKER_MEDIA_TYPE.layerTarGzip) return 'gzip';
  if (mt === MEDIA_TYPE.layerTar) return 'none';
  return null;
}

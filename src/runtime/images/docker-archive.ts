/**
 * Docker archives (`docker save`, `skopeo copy … docker-archive:`, `buildah push …
 * docker-archive:`): a manifest.json listing each image's config file, layer files and tags.
 * The store imports them like OCI layouts (as `ctr images import` does): the layers and config
 * are content-addressed on the way in and an OCI manifest is synthesised for the record.
 */
import { sha256Digest } from './digest.js';
import { parseJson, readLayoutImages, type LayoutFiles, type LayoutImage } from './layout-read.js';
import { MEDIA_TYPE, type Descriptor, type ImageConfig, type Manifest } from './oci.js';
import { normalizeImageRef } from './reference.js';

/** One entry of a docker archive's manifest.json. */
interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/**
 * readArchiveImages reads an OCI image layout (index.json) or, failing that, a docker archive
 * (manifest.json). Newer `docker save` output has both; the OCI index wins.
 */
export async function readArchiveImages(files: LayoutFiles): Promise<LayoutImage[]> {
  if ((await files('index.json').catch(() => null)) !== null) return readLayoutImages(files);
  const manifest = await files('manifest.json').catch(() => null);
  if (manifest === null) {
    throw new Error(
      'neither an OCI image layout (index.json) nor a docker archive (manifest.json)',
    );
  }
  return readDockerArchiveImages(files, manifest);
}

/** isGzip recognises a gzip stream by its magic bytes (docker archives may hold either). */
function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** readDockerArchiveImages turns each manifest.json entry into one image per tag. */
async function readDockerArchiveImages(files: LayoutFiles, raw: Buffer): Promise<LayoutImage[]> {
  const entries = parseJson<DockerArchiveEntry[]>(raw, 'manifest.json');
  if (!Array.isArray(entries)) throw new Error('manifest.json is not a list of images');
  const out: LayoutImage[] = [];
  for (const e of entries) {
    const configBytes = await files(e.Config);
    const config = parseJson<ImageConfig>(configBytes, e.Config);
    const layers: Buffer[] = [];
    for (const path of e.Layers) layers.push(await files(path));
    if ((config.rootfs?.diff_ids ?? []).length !== layers.length) {
      throw new Error(`${e.Config}: ${layers.length} layers but a different number of diff_ids`);
    }
    const layerDescs: Descriptor[] = layers.map((b) => ({
      mediaType: isGzip(b) ? MEDIA_TYPE.layerTarGzip : MEDIA_TYPE.layerTar,
      digest: sha256Digest(b),
      size: b.length,
    }));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: {
        mediaType: MEDIA_TYPE.config,
        digest: sha256Digest(configBytes),
        size: configBytes.length,
      },
      layers: layerDescs,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
    const image = {
      manifestDigest: sha256Digest(manifestBytes),
      manifestBytes,
      manifest,
      configBytes,
      config,
      readLayer: async (i: number) => layers[i] ?? Buffer.alloc(0),
    };
    const tags = e.RepoTags ?? [];
    if (tags.length === 0) out.push({ ...image, ref: null });
    for (const t of tags) out.push({ ...image, ref: normalizeImageRef(t) });
  }
  return out;
}

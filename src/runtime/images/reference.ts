/**
 * Image reference normalisation as the kubelet and containerd do it (docker/distribution's
 * "familiar" names): "busybox" is docker.io/library/busybox:latest, "me/app" is
 * docker.io/me/app:latest, a first component with a dot or colon (or "localhost") is a registry.
 * The store keys images by the normalised form, so every spelling of a name finds the same image.
 */
import { isDigest } from './digest.js';

/** The registry an unqualified name belongs to. */
export const DEFAULT_DOMAIN = 'docker.io';
/** The repository prefix of official images on the default registry. */
export const OFFICIAL_REPO_PREFIX = 'library/';
/** The tag a reference without tag or digest means. */
export const DEFAULT_TAG = 'latest';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** A reference split into its parts, plus the normalised whole. */
export interface ImageRef {
  domain: string;
  /** The repository path inside the domain, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
  /** domain/path (no tag, no digest): what repoDigests are built from. */
  repository: string;
  /** The normalised reference: repository[:tag][@digest]. */
  full: string;
}

/** ImageRefError is bad input (an unparsable name); its text is containerd's. */
export class ImageRefError extends Error {
  override name = 'ImageRefError';
}

/** parseImageRef normalises ref or throws ImageRefError. */
export function parseImageRef(ref: string): ImageRef {
  const fail = (): never => {
    throw new ImageRefError(
      `failed to parse image reference ${JSON.stringify(ref)}: invalid reference format`,
    );
  };
  if (ref === '' || ref.length > 4096 || ref !== ref.trim()) fail();
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) fail();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail();
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first === 'index.docker.io' ? DEFAULT_DOMAIN : first;
    parts.shift();
    if (!DOMAIN.test(domain)) fail();
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) fail();
  let path = parts.join('/');
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = OFFICIAL_REPO_PREFIX + path;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const repository = `${domain}/${path}`;
  const full = repository + (tag !== undefined ? `:${tag}` : '') + (digest ? `@${digest}` : '');
  return { domain, path, tag, digest, repository, full };
}

/** normalizeImageRef returns the normalised spelling of ref (throws ImageRefError). */
export function normalizeImageRef(ref: string): string {
  return parseImageRef(ref).full;
}

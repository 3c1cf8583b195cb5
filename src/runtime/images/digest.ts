/**
 * Content digests as OCI spells them ("sha256:<64 hex>"). Everything in an image layout is
 * addressed by these, so one helper keeps the spelling and the validation in one place.
 */
import { createHash } from 'node:crypto';

/** The only algorithm we write; readers accept only it too (containerd's default). */
export const DIGEST_ALGORITHM = 'sha256';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** sha256Digest returns "sha256:<hex>" of data: the address of a blob and of a diff_id. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** isDigest says whether s is a well-formed sha256 digest, before it becomes a file name. */
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** digestHex returns the hex part of a digest; throws on a malformed one (bad input, not a bug). */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
  return digest.slice('sha256:'.length);
}

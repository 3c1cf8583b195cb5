/**
 * The PKI's and the kubeconfig's only file writes: atomic (a temp file in the same directory,
 * then rename), so a crash or a concurrent reader never sees half a key or half a kubeconfig,
 * and created with their final mode, so a private key is never readable by others, not even
 * for an instant.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** KEY_MODE: private keys and kubeconfigs (which embed one) are for their owner only. */
export const KEY_MODE = 0o600;
/** CERT_MODE: certificates are public. */
export const CERT_MODE = 0o644;

/** writeFileAtomic replaces path with data in one rename; the temp file never outlives a
 *  failed write. */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** writeFileExclusive is writeFileAtomic that never replaces: link(2) fails with EEXIST when
 *  path exists, so of two processes creating a CA at once, one wins and the other learns it. */
export function writeFileExclusive(path: string, data: string | Buffer, mode: number): void {
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    linkSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

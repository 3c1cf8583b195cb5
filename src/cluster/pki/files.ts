/**
 * The PKI's and the kubeconfig's only file writes: atomic (a temp file in the same directory,
 * then rename), so a crash or a concurrent reader never sees half a key or half a kubeconfig,
 * and created with their final mode, so a private key is never readable by others, not even
 * for an instant.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** KEY_MODE: private keys and kubeconfigs (which embed one) are for their owner only. */
export const KEY_MODE = 0o600;
/** CERT_MODE: certificates are public. */
export const CERT_MODE = 0o644;

/** writeFileAtomic replaces path with data in one rename; the temp file never outlives a
 *  failed write. */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

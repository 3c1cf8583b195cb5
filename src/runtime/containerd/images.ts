/**
 * Importing local OCI image archives (built by src/runtime/images, no registry) into containerd's
 * CRI namespace with Debian's `ctr`. containerd's PullImage always asks a registry (pitfall P3),
 * so images k8ts runs are imported ahead, and the kubelet must ask ImageStatus before PullImage.
 */
import { type CommandResult, runCommand } from '../command.js';

/** containerd's namespace for everything the CRI plugin manages. */
export const CRI_NAMESPACE = 'k8s.io';

/** Bound on one import (nginx:deb, 34 MB compressed, imports in about 2.5 s here). */
export const IMPORT_TIMEOUT_MS = 120_000;

/** ImageImportError: ctr refused the archive; the message carries its stderr. */
export class ImageImportError extends Error {
  override name = 'ImageImportError';
}

/** importImageArchive runs `ctr -n k8s.io images import <archive>` against socketPath. The
 *  image is named by its index's io.containerd.image.name annotation (the images builder sets
 *  it), and unpacked into the overlayfs snapshotter the CRI uses. */
export async function importImageArchive(
  ctrBinary: string,
  socketPath: string,
  archivePath: string,
): Promise<void> {
  const argv = [ctrBinary, '--address', socketPath, '-n', CRI_NAMESPACE, 'images', 'import',
    archivePath];
  // A ctr that cannot start (wrong path) is reported like a refused archive, with the reason.
  const r = await runCommand(argv, { timeoutMs: IMPORT_TIMEOUT_MS })
    .catch((err: unknown): CommandResult => ({ code: -1, stdout: '', stderr: String(err) }));
  if (r.code !== 0) {
    throw new ImageImportError(`ctr images import ${archivePath} failed: ${r.stderr.trim()}`);
  }
}

/**
 * A container's root filesystem: an overlay of the image's unpacked layers (read-only, shared by
 * every container of that image) with a per-container upper and work directory, mounted at
 * <bundle>/rootfs. Removing the container unmounts it and deletes the upper layer.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { unmountAll } from '../mounts.js';
import { mountFs, unmountDetached } from './spawner.js';

/** overlayOptions renders the mount options; lowerDirs are topmost first, as overlay wants. */
export function overlayOptions(lowerDirs: string[], bundle: string): string {
  if (lowerDirs.length === 0) throw new Error('image has no layers');
  const lower = lowerDirs.join(':');
  if (/[,]/.test(lower)) throw new Error(`layer path contains a comma: ${lower}`);
  return `lowerdir=${lower},upperdir=${join(bundle, 'upper')},workdir=${join(bundle, 'work')}`;
}

/** mountRootfs creates upper/work/rootfs under the bundle and mounts the overlay. */
export async function mountRootfs(lowerDirs: string[], bundle: string): Promise<string> {
  const rootfs = join(bundle, 'rootfs');
  for (const dir of ['upper', 'work', 'rootfs']) {
    await mkdir(join(bundle, dir), { recursive: true });
  }
  await mountFs('overlay', rootfs, 'overlay', overlayOptions(lowerDirs, bundle));
  return rootfs;
}

/** unmountRootfs unmounts everything under the bundle's rootfs (absent is fine). */
export async function unmountRootfs(bundle: string): Promise<void> {
  await unmountAll(join(bundle, 'rootfs'), unmountDetached);
}

/**
 * The base every built image shares: a static busybox at /bin/busybox with one symlink per
 * applet (from `busybox --list`), the usual top-level directories, /tmp 1777, and
 * /etc/passwd + /etc/group so `id`, `ls -l` and user lookups work.
 */
import { readFile } from 'node:fs/promises';
import { isStaticElf, runTool } from '../host-tools.js';
import { ETC_GROUP, ETC_PASSWD, RootfsBuilder } from '../rootfs.js';

/** Where the busybox binary lives inside images. */
export const BUSYBOX_IMAGE_PATH = 'bin/busybox';

/** The directories of a minimal Linux root. */
const BASE_DIRS = ['bin', 'dev', 'etc', 'home', 'proc', 'sys', 'usr/bin', 'usr/sbin', 'var/spool'];

/**
 * busyboxRootfs reads the host busybox (which must be static: the image has no libc) and lays
 * out the base. Throws a clear error for a dynamic busybox (Debian's "busybox" package).
 */
export async function busyboxRootfs(busyboxPath: string): Promise<RootfsBuilder> {
  const binary = await readFile(busyboxPath);
  if (!isStaticElf(binary)) {
    throw new Error(
      `${busyboxPath} is not a static x86-64 binary; images need Debian's busybox-static ` +
        `(apt-get install -y busybox-static)`,
    );
  }
  const listing = await runTool(busyboxPath, ['--list'], { timeoutMs: 10_000 });
  const applets = parseAppletList(listing);
  const fs = new RootfsBuilder();
  for (const d of BASE_DIRS) fs.dir(d);
  fs.dir('root', { mode: 0o700 });
  fs.dir('tmp', { mode: 0o1777 });
  fs.file(BUSYBOX_IMAGE_PATH, binary, { mode: 0o755 });
  // Relative targets: they resolve inside the image even when the layer is read from the host.
  for (const a of applets) fs.symlink(`bin/${a}`, 'busybox');
  fs.file('etc/passwd', ETC_PASSWD);
  fs.file('etc/group', ETC_GROUP);
  return fs;
}

/** parseAppletList keeps the applet names of `busybox --list` (no paths, not busybox itself). */
export function parseAppletList(listing: string): string[] {
  return listing
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[A-Za-z0-9_.[\]-]+$/.test(l) && l !== 'busybox');
}

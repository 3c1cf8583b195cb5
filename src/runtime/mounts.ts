/**
 * What is mounted at or under a directory, from /proc/self/mountinfo, and unmounting all of it
 * deepest first: the runtimes leave bind-mounted network namespaces, overlay root filesystems and
 * containerd's snapshots behind them, and a recursive delete must never walk into a live mount
 * (it would delete the mounted filesystem's files, e.g. a hostPath).
 */
import { readFile } from 'node:fs/promises';
import { type CommandOptions, runCommand } from './command.js';

/** Bound on one `umount -l` (lazy unmounts return at once; this only catches a hang). */
const UMOUNT_TIMEOUT_MS = 120_000;

/** Rounds of unmountAll: a mount point can hold several stacked mounts, each needing one. */
const MAX_UNMOUNT_ROUNDS = 8;

/** mountPoints lists the mount points at or under prefix, deepest first (for unmounting). */
export async function mountPoints(prefix: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountPath)
    .filter((p) => p === prefix || p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** unescapeMountPath decodes mountinfo's octal escapes (\040 is a space). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** umountLazy runs `umount -l point`; a failure is a result (unmountAll looks again). */
function umountLazy(point: string, o: CommandOptions): Promise<unknown> {
  return runCommand(['umount', '-l', point], o);
}

/** unmountAll lazily unmounts every mount at or under path (repeatedly stacked ones too), and
 *  throws when some remain, so the caller does not go on to delete through a live mount.
 *  unmount detaches one mount point (the runc runtime's helper makes the system call itself). */
export async function unmountAll(
  path: string,
  unmount: (point: string, o: CommandOptions) => Promise<unknown> = umountLazy,
): Promise<void> {
  for (let round = 0; round < MAX_UNMOUNT_ROUNDS; round++) {
    const points = await mountPoints(path);
    if (points.length === 0) return;
    for (const point of points) await unmount(point, { timeoutMs: UMOUNT_TIMEOUT_MS });
  }
  throw new Error(`mounts under ${path} remain after unmounting`);
}

/**
 * A pod sandbox is a network namespace kept alive by a bind mount of its nsfs inode on a file
 * (`unshare --net=FILE true`): no pause process is needed because containers join the namespace
 * by path. These functions create, test and remove such files.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { run, runCommand } from '../command.js';

/** createNetns makes path a persistent, empty network namespace. */
export async function createNetns(path: string): Promise<void> {
  await writeFile(path, '');
  try {
    await run(['unshare', `--net=${path}`, 'true']);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** mountPoints lists the mount points under prefix (from /proc/self/mountinfo), deepest first. */
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

/** unmountAll lazily unmounts every mount at or under path (repeatedly stacked ones too). */
export async function unmountAll(path: string): Promise<void> {
  for (let round = 0; round < 8; round++) {
    const points = await mountPoints(path);
    if (points.length === 0) return;
    for (const point of points) await runCommand(['umount', '-l', point]);
  }
  throw new Error(`mounts under ${path} remain after unmounting`);
}

/** removeNetns unmounts and deletes a namespace file; a missing file is not an error. */
export async function removeNetns(path: string): Promise<void> {
  await unmountAll(path);
  await rm(path, { force: true });
}

/** inNetns runs argv inside the namespace at path (nsenter), e.g. ip commands. */
export function inNetns(path: string, argv: string[], input?: string): Promise<string> {
  return run(['nsenter', `--net=${path}`, ...argv], { input });
}

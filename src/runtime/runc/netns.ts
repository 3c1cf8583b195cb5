/**
 * A pod sandbox is a network namespace kept alive by a bind mount of its nsfs inode on a file
 * (`unshare --net=FILE true`): no pause process is needed because containers join the namespace
 * by path. These functions create, test and remove such files.
 */
import { rm, writeFile } from 'node:fs/promises';
import { unmountAll } from '../mounts.js';
import { runTool, runToolOk } from './spawner.js';

/** createNetns makes path a persistent, empty network namespace. */
export async function createNetns(path: string): Promise<void> {
  await writeFile(path, '');
  try {
    await runToolOk(['unshare', `--net=${path}`, 'true']);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** removeNetns unmounts and deletes a namespace file; a missing file is not an error. */
export async function removeNetns(path: string): Promise<void> {
  await unmountAll(path, runTool);
  await rm(path, { force: true });
}

/** inNetns runs argv inside the namespace at path (nsenter), e.g. ip commands. */
export function inNetns(path: string, argv: string[], input?: string): Promise<string> {
  return runToolOk(['nsenter', `--net=${path}`, ...argv], { input });
}

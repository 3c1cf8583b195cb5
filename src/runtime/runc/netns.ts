/**
 * A pod sandbox is a network namespace kept alive by a bind mount of its nsfs inode on a file
 * (`unshare --net=FILE true`): no pause process is needed because containers join the namespace
 * by path. These functions create and remove such files.
 */
import { rm, writeFile } from 'node:fs/promises';
import { unmountAll } from '../mounts.js';
import { CommandError } from '../command.js';
import { hostTools, unmountDetached } from './spawner.js';

/**
 * createNetns makes path a persistent network namespace and runs argv in it, in one process:
 * the host tool helper's child unshares its network namespace and binds it on path before it
 * execs argv (`unshare --net=FILE argv...` where it cannot), so the bind mount outlives argv and
 * the pod's network is configured by the same process that made the namespace. If argv fails,
 * the namespace is removed again.
 */
export async function createNetns(path: string, argv: string[] = ['true'], input?: string):
  Promise<void> {
  await writeFile(path, '');
  try {
    const result = await hostTools.runInNewNetns(path, argv, { input });
    if (result.code !== 0) throw new CommandError(argv, result);
  } catch (err) {
    await removeNetns(path);
    throw err;
  }
}

/** removeNetns unmounts and deletes a namespace file; a missing file is not an error. */
export async function removeNetns(path: string): Promise<void> {
  await unmountAll(path, unmountDetached);
  await rm(path, { force: true });
}

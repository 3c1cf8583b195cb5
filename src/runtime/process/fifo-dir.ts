/**
 * Where the process runtime keeps its containers' pipes (stdio-fifos.ts) and its pool of fresh
 * ones (fifo-pool.ts): a directory on tmpfs when there is one, as containerd keeps its FIFOs in
 * /run/containerd/fifo and CRI-O its in /var/run/crio — tmpfs on a systemd host — not in its
 * state on disk. On a disk file system every mknod and rename is a metadata change that waits
 * for the journal, and on a node whose store members fdatasync the same disk that was 0.4–1.4 ms
 * of CPU per pod in the runtime's mkfifo children alone (node-burst-micro, 100-pod rounds:
 * "reaped" 425–1,400 µs/pod on ext4, 75 on tmpfs). Pipes need not survive a reboot: the
 * containers holding them do not either.
 *
 * The directory is named after the state directory (a runtime started again on the same state
 * finds its containers' pipes there) and the user. /dev/shm is shared by every user, so the
 * directory is used only when it is ours, a real directory (no symlink) and closed to others;
 * otherwise, and when there is no tmpfs, the pipes stay in the state directory as before.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, rmSync, rmdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/** Linux's TMPFS_MAGIC (statfs f_type of a tmpfs mount). */
const TMPFS_MAGIC = 0x01021994;

/** The tmpfs mounts tried, in order: the user's runtime directory, then /dev/shm. */
export function tmpfsCandidates(env: NodeJS.ProcessEnv): string[] {
  const xdg = env.XDG_RUNTIME_DIR;
  return [...(xdg !== undefined && xdg !== '' ? [xdg] : []), '/dev/shm'];
}

/**
 * fifoDirName: the directory name of a state directory's pipes on a shared tmpfs — the uid and
 * a digest of the state directory's path (two runtimes never share pipes; the same one always
 * finds its own). Pure.
 */
export function fifoDirName(stateDir: string, uid: number): string {
  const digest = createHash('sha256').update(stateDir).digest('hex').slice(0, 16);
  return `k8ts-fifos-${uid}-${digest}`;
}

/**
 * fifoRoot: the directory that holds "io" (the containers' pipes) and "fifo-pool" for the runtime
 * of stateDir — a private directory on the first tmpfs candidate that allows one, else stateDir.
 */
export function fifoRoot(stateDir: string, candidates: readonly string[]): string {
  const uid = process.getuid?.() ?? -1;
  if (uid < 0) return stateDir;
  for (const base of candidates) {
    const dir = join(base, fifoDirName(stateDir, uid));
    if (privateTmpfsDir(dir, uid)) return dir;
  }
  return stateDir;
}

/** privateTmpfsDir makes dir (mode 0700) if absent and says whether it is a directory of uid's,
 *  closed to others, on tmpfs. */
function privateTmpfsDir(dir: string, uid: number): boolean {
  let made = false;
  try {
    mkdirSync(dir, { mode: 0o700 });
    made = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    const st = lstatSync(dir);
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 &&
      statfsSync(dir).type === TMPFS_MAGIC) return true;
  } catch {
    // Not usable: as below.
  }
  if (made) removeIfEmpty(dir);
  return false;
}

/**
 * removeFifoDirs deletes the pipe directories a runtime of stateDir may have left on the tmpfs
 * candidates (`k8ts down --purge`): a runtime closed in order removes its own when empty, but one
 * that was SIGKILLed, or whose containers were never stopped, leaves it behind in memory. Only
 * a real directory of this user's is removed. Returns the directories removed.
 */
export function removeFifoDirs(stateDir: string, candidates: readonly string[]): string[] {
  const uid = process.getuid?.() ?? -1;
  if (uid < 0) return [];
  const removed: string[] = [];
  for (const base of candidates) {
    const dir = join(base, fifoDirName(stateDir, uid));
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== uid) continue;
    } catch {
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** removeIfEmpty removes dir when nothing is in it (a runtime's close: no pipes left). */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (containers still hold pipes there), or gone.
  }
}

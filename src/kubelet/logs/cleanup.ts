/**
 * Removing logs nobody can ask for any more: a removed container instance's log with its
 * rotated files, a deleted pod's whole log directory, and — after a kubelet restart, when the
 * deletions may have been missed — every pod directory whose uid the kubelet no longer runs
 * (upstream's evictPodLogsDirectories). Logs of pods still known are never touched.
 *
 * A deleted pod's directories and live log files are not removed but emptied and moved into
 * the log root's spare pool, from which the runtime makes the next pods' ones (inode churn on
 * a journal-less ext4: runtime/logs/spares.ts). Gone from their paths all the same.
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rename, rm, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ListingGate, RESCAN_MS, SPARES_MAX, spareDirOf, spareName,
} from '../../runtime/logs/spares.js';
import { isOpenForReading } from './cursor.js';
import { parseAttempt, parsePodLogDirName, podLogDirectory } from './paths.js';

/** removePodLogs takes a pod's log directory (all its containers' logs) off its path. */
export async function removePodLogs(
  root: string,
  namespace: string,
  pod: string,
  uid: string,
): Promise<void> {
  await sparePoolOf(root).recycle(podLogDirectory(root, namespace, pod, uid), uid);
}

/**
 * SparePool is the kubelet's end of a log root's pool: it puts, the runtime takes, so the count
 * it keeps is an upper bound, read again from the directory (at most every RESCAN_MS) when it
 * says full. One per log root in the process (pools): the pool belongs to the directory.
 */
export class SparePool {
  private readonly dir: string;
  /** Entries in the pool at most (undefined: not listed yet). */
  private count: number | undefined;
  private readonly gate: ListingGate;
  private made: Promise<unknown> | undefined;

  constructor(root: string, private readonly max = SPARES_MAX,
    nowMs: () => number = () => performance.now()) {
    this.dir = spareDirOf(root);
    this.gate = new ListingGate(() => this.scan(), nowMs, RESCAN_MS);
  }

  /**
   * recycle takes podDir off its path: its container directories and their live log files
   * (<attempt>.log, truncated) become spares; rotated files, files being read and anything
   * else are removed, as is all of it when the pool is full. A missing podDir is fine.
   */
  async recycle(podDir: string, tag: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(podDir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const containers = entries.filter((e) => e.isDirectory());
    // Each container: its directory and one live file per attempt, roughly one; plus podDir.
    if (!(await this.room(2 * containers.length + 1))) {
      await rm(podDir, { recursive: true, force: true });
      return;
    }
    this.made ??= mkdir(this.dir, { recursive: true });
    await this.made;
    let n = 0;
    const next = (): string => `${tag}.${n++}`;
    await Promise.all(entries.filter((e) => !e.isDirectory())
      .map((e) => rm(join(podDir, e.name), { recursive: true, force: true })));
    await Promise.all(containers.map(async (c) => {
      const dir = join(podDir, c.name);
      const files = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
      await Promise.all(files.map((f) => {
        const path = join(dir, f.name);
        return f.isFile() && parseAttempt(f.name) !== undefined && !isOpenForReading(path)
          ? this.putFile(path, next()) : rm(path, { recursive: true, force: true });
      }));
      await this.putDir(dir, next());
    }));
    await this.putDir(podDir, next());
  }

  /** putFile truncates path and moves it into the pool (or removes it if it cannot). */
  private async putFile(path: string, tag: string): Promise<void> {
    try {
      // First: a spare never holds bytes, whatever happens next.
      await truncate(path, 0);
      await rename(path, join(this.dir, spareName('file', tag)));
    } catch {
      await rm(path, { force: true });
    }
  }

  /** putDir moves an emptied directory into the pool (or removes it if it cannot). The runtime
   *  checks a directory it takes is empty: something written into it meanwhile is not lost
   *  into another pod's logs. */
  private async putDir(dir: string, tag: string): Promise<void> {
    try {
      await rename(dir, join(this.dir, spareName('dir', tag)));
    } catch {
      this.made = undefined; // the pool may have been removed: made again by the next recycle
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** room reserves n entries when the pool has them free. */
  private async room(n: number): Promise<boolean> {
    // Listed again when it says full (the runtime takes meanwhile), and first of all.
    await this.gate.refresh((this.count ?? 0) + n > this.max, this.count === undefined);
    const count = this.count ?? 0;
    if (count + n > this.max) return false;
    this.count = count + n;
    return true;
  }

  private async scan(): Promise<void> {
    this.count = (await readdir(this.dir).catch(() => [] as string[])).length;
  }
}

/** The pools of this process, by log root (the kubelet has one; hollow kubelets one each). */
const pools = new Map<string, SparePool>();

function sparePoolOf(root: string): SparePool {
  let pool = pools.get(root);
  if (pool === undefined) {
    pool = new SparePool(root);
    pools.set(root, pool);
  }
  return pool;
}

/** removeContainerLogFiles deletes one instance's log and its rotated/compressed files. */
export async function removeContainerLogFiles(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const name = basename(logPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const mine = names.filter((n) => n === name || n.startsWith(`${name}.`));
  await Promise.all(mine.map((n) => rm(join(dir, n), { force: true })));
}

/** orphanedPodLogDirs picks the directory names whose pod uid is not in liveUids (pure). */
export function orphanedPodLogDirs(
  dirNames: readonly string[],
  liveUids: ReadonlySet<string>,
): string[] {
  return dirNames.filter((n) => {
    const parsed = parsePodLogDirName(n);
    return parsed !== undefined && !liveUids.has(parsed.uid);
  });
}

/** removeOrphanedPodLogs deletes the orphaned pod log directories under root; returns them. */
export async function removeOrphanedPodLogs(
  root: string,
  liveUids: ReadonlySet<string>,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const orphans = orphanedPodLogDirs(names, liveUids);
  await Promise.all(orphans.map((n) => rm(join(root, n), { recursive: true, force: true })));
  return orphans;
}

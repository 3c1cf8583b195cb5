/**
 * Spare log inodes: the directories and files of deleted pods' logs, emptied and kept for the
 * next pods instead of being removed and made again.
 *
 * Why: on the ext4 the node state lives on (no journal here), each new inode skips every inode
 * of its group freed in the last seconds (ext4's recently_deleted, one inode-table lookup each),
 * so in a pod burst that follows the deletion of the previous one every mkdir and create walks
 * hundreds of freed inodes. Each pod's logs cost three of them (the pod's directory, the
 * container's directory, the log file; CRI layout, paths.ts in the kubelet), made by the runtime
 * and removed by the kubelet when the pod is deleted. A rename or a link allocates and frees no
 * inode, so the kubelet moves a deleted pod's emptied directories and truncated log files into
 * SPARE_DIR_NAME under the log root (same file system, so renames work), and the runtime moves
 * them out to the paths of the next pods. The paths users and tools see do not change.
 *
 * The two ends meet only through the directory: the kubelet (cleanup.ts) puts, the runtime
 * (LogSpares here) takes, each with an atomic rename or link, so neither waits for the other and
 * either may be absent (another runtime, or no spares: plain mkdir and create then).
 *
 * No earlier pod's bytes may show up in a new pod's log: the kubelet truncates a file before it
 * becomes a spare and recycles only files nobody reads and no writer holds (the runtime closed
 * the container's log before its removal); the runtime checks what it takes — a directory must
 * be empty, a file empty with a single link — and otherwise removes it and makes a new one.
 *
 * A node's first burst has no deleted pods to reuse, so the runtime also makes spares itself,
 * off the hot path: when it first sees a log root (the node's first pod, a static one long
 * before any burst) and after takes stop for IDLE_TOP_UP_MS, up to TOP_UP_PODS pods' worth.
 * The inodes are allocated all the same, but not while a burst waits for them, and mostly
 * when no burst's deletions just freed hundreds of inodes for ext4 to skip.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';

/** SPARE_DIR_NAME is the pool's directory under the log root (hidden; no pod's name shape, so
 *  the kubelet's orphan sweep leaves it alone). */
export const SPARE_DIR_NAME = '.k8ts-spare';

/** SPARES_MAX bounds the pool: 512 pods' worth of 3 inodes (an empty directory holds one 4 KiB
 *  block, an empty file none: at most 4 MiB). */
export const SPARES_MAX = 1536;

/** How long the runtime waits before it lists an empty pool again: a kubelet that puts no
 *  spares costs four readdirs a second at most, and one still putting a deleted burst's spares
 *  while the next burst starts is caught up with soon. */
export const RESCAN_MS = 250;

/** TOP_UP_PODS: the runtime keeps this many pods' worth of spares (two directories and one
 *  file each) when idle: the nodes bench's burst is 50 pods per worker. */
export const TOP_UP_PODS = 64;

/** IDLE_TOP_UP_MS: how long after the last take the runtime tops the pool up. */
export const IDLE_TOP_UP_MS = 2000;

/** LOG_FILE_MODE: a container log file's mode (containerd's). */
export const LOG_FILE_MODE = 0o640;

/** spareDirOf is the pool directory of a log root. */
export function spareDirOf(logRoot: string): string {
  return join(logRoot, SPARE_DIR_NAME);
}

/** spareName names a spare: "d." a directory, "f." a file; tag makes it unique (pod uid and
 *  a count: the kubelet's puts never collide). */
export function spareName(kind: 'dir' | 'file', tag: string): string {
  return `${kind === 'dir' ? 'd' : 'f'}.${tag}`;
}

/** What the runtime did with spares (tests, benches). */
export interface SpareCounts {
  /** Directories and files taken from the pool. */
  dirsTaken: number;
  filesTaken: number;
  /** Taken ones that were not empty (or shared) and were replaced by new ones. */
  discarded: number;
}

/**
 * ListingGate runs a pool directory's listing at most every everyMs, one at a time: both ends
 * of the pool (the runtime taking, the kubelet putting) keep a count or names that go stale, and
 * read the directory again only when they need to. A caller that finds a listing under way waits
 * for it even when it started just now — acting on what it is about to replace would make new
 * inodes beside the spares it finds (runtime) or overfill the pool (kubelet).
 */
export class ListingGate {
  private listedAtMs = -Infinity;
  private listing: Promise<void> | undefined;

  constructor(private readonly list: () => Promise<void>, private readonly nowMs: () => number,
    private readonly everyMs: number) {}

  /** refresh waits for a listing under way; else lists when stale (wanted, and the last one is
   *  everyMs old) or force. */
  async refresh(stale: boolean, force = false): Promise<void> {
    if (this.listing === undefined &&
        !(force || (stale && this.nowMs() - this.listedAtMs >= this.everyMs))) return;
    this.listing ??= this.run().finally(() => {
      this.listing = undefined;
    });
    await this.listing;
  }

  private async run(): Promise<void> {
    this.listedAtMs = this.nowMs();
    await this.list();
  }
}

/** One log root's pool as the runtime knows it: names listed, not yet taken. */
class Pool {
  dirs: string[] = [];
  files: string[] = [];
  /** Names handed out whose rename or link has not finished: a listing made meanwhile still
   *  shows them, and must not offer them again (a file linked into two pods' logs). */
  private readonly inFlight = new Set<string>();
  private readonly gate: ListingGate;
  private toppingUp = false;
  private made = 0;

  constructor(readonly dir: string, nowMs: () => number, rescanMs: number) {
    this.gate = new ListingGate(() => this.scan(), nowMs, rescanMs);
  }

  /** take pops a spare of the kind, listing the pool again when out (at most every rescanMs). */
  async take(kind: 'dir' | 'file'): Promise<string | undefined> {
    const list = (): string[] => (kind === 'dir' ? this.dirs : this.files);
    if (list().length === 0) await this.gate.refresh(true);
    const name = list().pop();
    if (name === undefined) return undefined;
    this.inFlight.add(name);
    return join(this.dir, name);
  }

  /** settle ends a take: the spare is used (gone from the pool) or, given back, offered again. */
  settle(kind: 'dir' | 'file', path: string, givenBack: boolean): void {
    const name = path.slice(this.dir.length + 1);
    this.inFlight.delete(name);
    if (givenBack) (kind === 'dir' ? this.dirs : this.files).push(name);
  }

  /**
   * topUp makes spares one at a time until the pool holds pods' worth. They are not added to
   * the lists: the next listing finds them (adding them here could list one twice, and a file
   * linked into two logs is what must never happen).
   */
  async topUp(pods: number, tag: string): Promise<void> {
    if (this.toppingUp || pods <= 0) return;
    this.toppingUp = true;
    try {
      await mkdir(this.dir, { recursive: true });
      const names = await readdir(this.dir);
      const next = (): string => `${tag}.${this.made++}`;
      for (let n = names.filter((x) => x.startsWith('d.')).length; n < 2 * pods; n++) {
        await mkdir(join(this.dir, spareName('dir', next())));
      }
      for (let n = names.filter((x) => x.startsWith('f.')).length; n < pods; n++) {
        await (await open(join(this.dir, spareName('file', next())), 'wx', LOG_FILE_MODE))
          .close();
      }
    } catch {
      // Best effort (a full or read-only disk): pods get new inodes as before.
    } finally {
      this.toppingUp = false;
    }
  }

  private async scan(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    // Only the kubelet adds, only this runtime takes: the listing replaces the lists (names
    // taken since are gone from it).
    const free = names.filter((n) => !this.inFlight.has(n));
    this.dirs = free.filter((n) => n.startsWith('d.'));
    this.files = free.filter((n) => n.startsWith('f.'));
  }
}

/**
 * LogSpares is the runtime's end of the pool: it makes a sandbox's log directory, a container's
 * log directory and its log file from spares when there are some. One per runtime; the pool of
 * a log root is known once a sandbox's log directory under it was made.
 */
export class LogSpares {
  readonly counts: SpareCounts = { dirsTaken: 0, filesTaken: 0, discarded: 0 };
  private readonly pools = new Map<string, Pool>();
  /** Names the spares this runtime makes (unique across runtimes and restarts). */
  private readonly tag = `rt-${randomUUID()}`;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** The top-ups under way (tests wait for them). */
  private readonly topUps = new Set<Promise<void>>();

  /** topUpPods 0: no spares made by the runtime (tests of the pool alone). */
  constructor(private readonly nowMs: () => number = () => performance.now(),
    private readonly rescanMs = RESCAN_MS, private readonly topUpPods = TOP_UP_PODS,
    private readonly idleTopUpMs = IDLE_TOP_UP_MS) {}

  /** makePodDir makes a sandbox's log directory (a CRI log_directory; its parent is the log
   *  root, where the kubelet keeps the pool). An existing directory is left as it is. */
  async makePodDir(logDirectory: string): Promise<void> {
    const root = dirname(logDirectory);
    const known = this.pools.get(root);
    const pool = known ?? new Pool(spareDirOf(root), this.nowMs, this.rescanMs);
    if (known === undefined) this.pools.set(root, pool);
    await this.makeDir(logDirectory);
    // A log root seen for the first time: its pool is filled off the hot path from now on.
    if (known === undefined) this.topUp(pool);
  }

  /** settled resolves when no top-up runs (tests). */
  async settled(): Promise<void> {
    while (this.topUps.size > 0) await Promise.all([...this.topUps]);
  }

  /** close stops topping up (the runtime is closing). */
  close(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.closed = true;
  }

  private topUp(pool: Pool): void {
    if (this.closed || this.topUpPods <= 0) return;
    const run = pool.topUp(this.topUpPods, this.tag).finally(() => this.topUps.delete(run));
    this.topUps.add(run);
  }

  /** tookFrom: a take happened; the pools are topped up once takes stop for idleTopUpMs. */
  private tookFrom(): void {
    if (this.closed || this.topUpPods <= 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      for (const pool of this.pools.values()) this.topUp(pool);
    }, this.idleTopUpMs);
    this.idleTimer.unref();
  }

  /** makeDir makes dir as mkdir -p does, from a spare when dir is under a known log root. */
  async makeDir(dir: string): Promise<void> {
    const pool = this.poolOf(dir);
    const spare = await pool?.take('dir');
    if (pool !== undefined) this.tookFrom();
    if (pool === undefined || spare === undefined) {
      await mkdir(dir, { recursive: true });
      return;
    }
    try {
      // Over a missing dir (or an empty one, which is then freed: the same empty directory).
      await rename(spare, dir);
      pool.settle('dir', spare, false);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // dir exists with entries: it stays, and so does the spare. Otherwise the spare vanished,
      // or the parent is missing: make it the plain way.
      pool.settle('dir', spare, code === 'ENOTEMPTY' || code === 'EEXIST');
      await mkdir(dir, { recursive: true });
      return;
    }
    this.counts.dirsTaken++;
    if ((await readdir(dir)).length === 0) return;
    // Something was written into it after the kubelet emptied it: not this pod's.
    this.counts.discarded++;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }

  /**
   * placeFile links an empty spare file at path (which must not exist; its directory must);
   * true when it did. The caller opens it and checks it with isCleanSpare before use.
   */
  async placeFile(path: string): Promise<boolean> {
    const pool = this.poolOf(path);
    const spare = await pool?.take('file');
    if (pool !== undefined) this.tookFrom();
    if (pool === undefined || spare === undefined) return false;
    try {
      // link, not rename: rename would replace an existing log; link fails on it (EEXIST).
      await link(spare, path);
    } catch (err) {
      pool.settle('file', spare, (err as NodeJS.ErrnoException).code === 'EEXIST');
      return false;
    }
    try {
      await unlink(spare);
    } catch {
      // Still under its spare name, it could be handed out again: a new file instead.
      await unlink(path);
      return false;
    } finally {
      pool.settle('file', spare, false);
    }
    this.counts.filesTaken++;
    return true;
  }

  /** isCleanSpare: a placed file may be used when it is empty and has no other name. */
  isCleanSpare(st: { size: number; nlink: number }): boolean {
    const clean = st.size === 0 && st.nlink === 1;
    if (!clean) this.counts.discarded++;
    return clean;
  }

  /** poolOf: the pool of the known log root path lies under. */
  private poolOf(path: string): Pool | undefined {
    for (const [root, pool] of this.pools) {
      if (path.startsWith(root + sep)) return pool;
    }
    return undefined;
  }
}

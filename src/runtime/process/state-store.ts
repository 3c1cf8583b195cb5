/**
 * What the process runtime remembers across its own restarts: every sandbox and container
 * record, as lines appended to one journal file (state.jsonl) under the state directory. A
 * save appends the whole record, a delete a tombstone; loading replays the lines, the last per
 * record winning. One append to an open file replaces the earlier one-file-per-record writes
 * (a temporary file and a rename each): each of those allocated an inode and freed one, and
 * ext4's inode allocation under that churn (recently_deleted, find_inode_bit) was about a
 * quarter of the runtime's CPU in a pod burst (perf). A crash mid-append leaves at most a torn
 * last line, which loading skips, so a record is the old one or the new one, as with the
 * rename. The journal is rewritten (a snapshot to a temporary file, renamed) when it first
 * opens and whenever it has grown past several times what is live, so it stays bounded.
 * Records of an older runtime (sandboxes/ and containers/, one JSON file each) are read and
 * folded into the first snapshot. Appends run one at a time, in call order, each with the
 * record as it was when called; the RPCs await them, so an answered call's record is on disk.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvEntry } from './argv.js';

/** A CRI port mapping as the sandbox config declared it. */
export interface PortRecord {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
}

/** SandboxRecord is one pod sandbox: a loopback address plus the pod's identity. */
export interface SandboxRecord {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  hostname: string;
  logDirectory: string;
  ip: string;
  ready: boolean;
  createdAtMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
  ports: PortRecord[];
}

/** The CRI container states, as the records spell them. */
export type ContainerPhase = 'created' | 'running' | 'exited';

/** A CRI mount as the container config declared it (kept for ContainerStatus.mounts). */
export interface MountRecord {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

/** ContainerRecord is one container: what it runs, and what became of it. */
export interface ContainerRecord {
  id: string;
  sandboxId: string;
  metadata: { name: string; attempt: number };
  /** The image as the kubelet named it, and the image id it resolved to ('' if none). */
  image: string;
  imageId: string;
  argv: string[];
  env: EnvEntry[];
  cwd: string;
  /** Absolute path of the CRI log file ('' when the kubelet asked for no log). */
  logPath: string;
  mounts: MountRecord[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  phase: ContainerPhase;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The main process (and process group leader) while it runs; 0 otherwise. */
  pid: number;
  /** /proc/<pid>/stat starttime of that process, so a recycled pid is never mistaken for it. */
  pidStartTicks: number;
}

/** The journal is rewritten once it is this large and over COMPACT_RATIO × the live records. */
export const COMPACT_MIN_BYTES = 1 << 20;
/** See COMPACT_MIN_BYTES. */
export const COMPACT_RATIO = 4;

/** The journal's name in the state directory. */
export const JOURNAL_NAME = 'state.jsonl';

type Kind = 's' | 'c';

/** StateStore reads and writes the records. */
export class StateStore {
  private readonly journalPath: string;
  /** The live records as journal lines, by kind and id (what a snapshot writes). */
  private readonly live = new Map<string, string>();
  private liveBytes = 0;
  private loaded = false;
  private handle: FileHandle | undefined;
  private journalBytes = 0;
  /** The last write queued, so appends land in call order. */
  private tail: Promise<void> = Promise.resolve();
  /** Lines appended since the write now queued began; that write takes them all at once. */
  private pending: string[] = [];
  /** The queued write that has not begun (later appends join it), if any. */
  private next: Promise<void> | undefined;

  constructor(readonly stateDir: string) {
    this.journalPath = join(stateDir, JOURNAL_NAME);
    mkdirSync(stateDir, { recursive: true });
  }

  /** loadSandboxes returns every stored sandbox; unreadable records are skipped, not fatal. */
  loadSandboxes(): SandboxRecord[] {
    return this.records<SandboxRecord>('s');
  }

  /** loadContainers returns every stored container. */
  loadContainers(): ContainerRecord[] {
    return this.records<ContainerRecord>('c');
  }

  /** saveSandbox persists the sandbox as it is now. */
  saveSandbox(record: SandboxRecord): Promise<void> {
    return this.append('s', record.id, JSON.stringify(record));
  }

  /** saveContainer persists the container as it is now. */
  saveContainer(record: ContainerRecord): Promise<void> {
    return this.append('c', record.id, JSON.stringify(record));
  }

  /** deleteSandbox removes the sandbox's record (after any write queued before). */
  deleteSandbox(id: string): Promise<void> {
    return this.append('s', id, undefined);
  }

  /** deleteContainer removes the container's record. */
  deleteContainer(id: string): Promise<void> {
    return this.append('c', id, undefined);
  }

  /** close waits for the queued appends and closes the journal (the runtime is stopping). */
  async close(): Promise<void> {
    await this.tail;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  private records<T>(kind: Kind): T[] {
    this.load();
    const out: T[] = [];
    for (const [key, line] of this.live) {
      if (!key.startsWith(`${kind}:`)) continue;
      const parsed = parseLine(line);
      if (parsed?.r !== undefined) out.push(parsed.r as T);
    }
    return out;
  }

  /** load replays the older runtime's files, then the journal (once). */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const [kind, dir] of [['s', 'sandboxes'], ['c', 'containers']] as const) {
      for (const record of loadAll<{ id: string }>(join(this.stateDir, dir))) {
        this.set(kind, record.id, JSON.stringify(record));
      }
    }
    let text: string;
    try {
      text = readFileSync(this.journalPath, 'utf8');
    } catch {
      return; // no journal yet
    }
    for (const line of text.split('\n')) {
      const e = parseLine(line);
      if (e !== undefined) this.set(e.k, e.id, e.r === undefined ? undefined : JSON.stringify(e.r));
    }
  }

  /** set records the newest state of one record in the live map (undefined: deleted). */
  private set(kind: Kind, id: string, json: string | undefined): void {
    const key = `${kind}:${id}`;
    this.liveBytes -= this.live.get(key)?.length ?? 0;
    if (json === undefined) {
      this.live.delete(key);
      return;
    }
    const line = `{"k":"${kind}","id":${JSON.stringify(id)},"r":${json}}\n`;
    this.live.set(key, line);
    this.liveBytes += line.length;
  }

  /** append queues one journal line (a record, or a tombstone when json is undefined). */
  private append(kind: Kind, id: string, json: string | undefined): Promise<void> {
    this.load();
    this.set(kind, id, json);
    const line = json === undefined
      ? `{"k":"${kind}","id":${JSON.stringify(id)}}\n`
      : this.live.get(`${kind}:${id}`) ?? '';
    // Appends made while a write runs go out together in the next one: a burst of pod
    // starts costs one write per batch, not three per pod. Bounded by the callers in flight.
    this.pending.push(line);
    if (this.next === undefined) {
      this.next = this.tail.then(() => {
        this.next = undefined;
        return this.write(this.pending.splice(0).join(''));
      });
      this.tail = this.next.catch(() => undefined);
    }
    return this.next;
  }

  private async write(line: string): Promise<void> {
    // The first write starts from a snapshot (which already holds this line's change).
    if (this.handle === undefined) {
      await this.compact();
      return;
    }
    await this.handle.write(line);
    this.journalBytes += line.length;
    if (this.journalBytes > Math.max(COMPACT_MIN_BYTES, COMPACT_RATIO * this.liveBytes)) {
      await this.compact();
    }
  }

  /** compact writes the live records as a new journal, renames it over the old one and
   *  appends to it from then on; the older runtime's per-record files go with it. */
  private async compact(): Promise<void> {
    const text = [...this.live.values()].join('');
    const tmp = `${this.journalPath}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, this.journalPath);
    const old = this.handle;
    this.handle = await open(this.journalPath, 'a');
    this.journalBytes = text.length;
    await old?.close();
    rmSync(join(this.stateDir, 'sandboxes'), { recursive: true, force: true });
    rmSync(join(this.stateDir, 'containers'), { recursive: true, force: true });
  }
}

/** parseLine reads one journal line; undefined for a blank or torn one. */
function parseLine(line: string): { k: Kind; id: string; r?: unknown } | undefined {
  if (line.trim() === '') return undefined;
  try {
    const e = JSON.parse(line) as { k?: unknown; id?: unknown; r?: unknown };
    if ((e.k !== 's' && e.k !== 'c') || typeof e.id !== 'string') return undefined;
    return { k: e.k, id: e.id, ...(e.r !== undefined ? { r: e.r } : {}) };
  } catch {
    return undefined;
  }
}

/** writeJsonAtomic writes value to path through a temporary file and a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/** loadJson reads one JSON file; undefined when it is missing or unreadable. */
export function loadJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function loadAll<T>(dir: string): T[] {
  const out: T[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // no such directory
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const record = loadJson<T>(join(dir, name));
    if (record !== undefined) out.push(record);
  }
  return out;
}

/**
 * What the process runtime remembers across its own restarts: one JSON file per sandbox and per
 * container under the state directory, written to a temporary name and renamed so a crash never
 * leaves half a record. The runtime is the only writer; on start it loads every record back and
 * re-adopts the processes that still live. Writes are asynchronous (a write and rename cost
 * milliseconds on a busy disk, which would stall every other call if done synchronously) and
 * run one at a time per file, in call order, each with the record as it was when called; the
 * RPCs await them, so an answered call's record is on disk.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
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

/** StateStore reads and writes the records. */
export class StateStore {
  private readonly sandboxDir: string;
  private readonly containerDir: string;
  /** The last write queued per file, so writes to one file land in call order. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(readonly stateDir: string) {
    this.sandboxDir = join(stateDir, 'sandboxes');
    this.containerDir = join(stateDir, 'containers');
    mkdirSync(this.sandboxDir, { recursive: true });
    mkdirSync(this.containerDir, { recursive: true });
  }

  /** loadSandboxes returns every stored sandbox; unreadable files are skipped, not fatal. */
  loadSandboxes(): SandboxRecord[] {
    return loadAll<SandboxRecord>(this.sandboxDir);
  }

  /** loadContainers returns every stored container. */
  loadContainers(): ContainerRecord[] {
    return loadAll<ContainerRecord>(this.containerDir);
  }

  /** saveSandbox persists the sandbox as it is now. */
  saveSandbox(record: SandboxRecord): Promise<void> {
    return this.write(join(this.sandboxDir, `${record.id}.json`), JSON.stringify(record));
  }

  /** saveContainer persists the container as it is now. */
  saveContainer(record: ContainerRecord): Promise<void> {
    return this.write(join(this.containerDir, `${record.id}.json`), JSON.stringify(record));
  }

  /** deleteSandbox removes the sandbox's record (after any write queued before). */
  deleteSandbox(id: string): Promise<void> {
    return this.write(join(this.sandboxDir, `${id}.json`), undefined);
  }

  /** deleteContainer removes the container's record. */
  deleteContainer(id: string): Promise<void> {
    return this.write(join(this.containerDir, `${id}.json`), undefined);
  }

  /** write queues text (undefined: deletion) for path behind that file's earlier writes. */
  private write(path: string, text: string | undefined): Promise<void> {
    const prev = this.tails.get(path) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (text === undefined) {
        await rm(path, { force: true });
        return;
      }
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    });
    const tail = next.catch(() => undefined).finally(() => {
      if (this.tails.get(path) === tail) this.tails.delete(path);
    });
    this.tails.set(path, tail);
    return next;
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
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const record = loadJson<T>(join(dir, name));
    if (record !== undefined) out.push(record);
  }
  return out;
}

/**
 * What the process runtime remembers across its own restarts: one JSON file per sandbox and per
 * container under the state directory, written to a temporary name and renamed so a crash never
 * leaves half a record. The runtime is the only writer; on start it loads every record back and
 * re-adopts the processes that still live (see recovery.ts).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** NodeRecord is runtime-wide state: where the pod address round-robin continues. */
export interface NodeRecord {
  lastPodIp?: string;
}

/** StateStore reads and writes the records; every method is synchronous and small. */
export class StateStore {
  private readonly sandboxDir: string;
  private readonly containerDir: string;

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

  saveSandbox(record: SandboxRecord): void {
    writeJsonAtomic(join(this.sandboxDir, `${record.id}.json`), record);
  }

  saveContainer(record: ContainerRecord): void {
    writeJsonAtomic(join(this.containerDir, `${record.id}.json`), record);
  }

  deleteSandbox(id: string): void {
    rmSync(join(this.sandboxDir, `${id}.json`), { force: true });
  }

  deleteContainer(id: string): void {
    rmSync(join(this.containerDir, `${id}.json`), { force: true });
  }

  loadNode(): NodeRecord {
    return loadJson<NodeRecord>(join(this.stateDir, 'node.json')) ?? {};
  }

  saveNode(record: NodeRecord): void {
    writeJsonAtomic(join(this.stateDir, 'node.json'), record);
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

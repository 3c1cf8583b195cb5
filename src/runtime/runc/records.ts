/**
 * The runtime's persistent records: one JSON file per sandbox and per container under the state
 * directory, so a restarted runtime knows every pod and container it created (their ids,
 * metadata, addresses and timestamps) while runc and conmon keep the processes running.
 * Timestamps are nanoseconds since the epoch, stored as decimal strings (JSON has no bigint).
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DnsConfigView } from './pod-files.js';
import type { BindMountView, ResourcesView } from './oci-spec.js';
import type { ProcessIdentity } from './signal.js';

/** SandboxRecord is one pod sandbox. */
export interface SandboxRecord {
  id: string;
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
  createdAtNs: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
  hostname: string;
  logDirectory: string;
  dns: DnsConfigView;
  podIp: string;
  netnsPath: string;
  hostVeth: string;
  /** The cgroup every container of the pod goes under: CRI cgroup_parent, else /k8ts/<id>. */
  cgroupParent: string;
  /** The pod's namespaced sysctls (net.*, kernel.shm*...), applied in every container. */
  sysctls: Record<string, string>;
  /** 'ready' until StopPodSandbox; then the network is gone. */
  state: 'ready' | 'notready';
}

/** ContainerRecord is one container, from CreateContainer until RemoveContainer. */
export interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  image: string;
  imageId: string;
  createdAtNs: string;
  startedAtNs?: string;
  /** Set once the exit is observed, so later statuses agree. */
  finishedAtNs?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  mounts: BindMountView[];
  stopSignal: string;
  tty: boolean;
  stdin: boolean;
  resources: ResourcesView;
  cgroupsPath: string;
  /** The container's init process once started (conmon's report), with its start time, so
   *  the runtime signals it itself (signal.ts); absent in records of older runtimes. */
  process?: ProcessIdentity;
}

/** RecordStore reads and writes records under <stateDir>/{sandboxes,containers}/<id>/. */
export class RecordStore {
  constructor(readonly stateDir: string) {}

  /** sandboxDir is where a sandbox keeps its record, netns file and pod files. */
  sandboxDir(id: string): string {
    return join(this.stateDir, 'sandboxes', id);
  }

  /** containerDir is a container's bundle: record, config.json, rootfs, upper, work. */
  containerDir(id: string): string {
    return join(this.stateDir, 'containers', id);
  }

  /** saveSandbox writes the record atomically (temp file + rename). */
  async saveSandbox(record: SandboxRecord): Promise<void> {
    await writeJson(join(this.sandboxDir(record.id), 'sandbox.json'), record);
  }

  /** saveContainer writes the record atomically. */
  async saveContainer(record: ContainerRecord): Promise<void> {
    await writeJson(join(this.containerDir(record.id), 'container.json'), record);
  }

  /** loadSandboxes reads every sandbox record; directories without one are skipped. */
  loadSandboxes(): Promise<SandboxRecord[]> {
    return loadAll<SandboxRecord>(join(this.stateDir, 'sandboxes'), 'sandbox.json');
  }

  /** loadContainers reads every container record. */
  loadContainers(): Promise<ContainerRecord[]> {
    return loadAll<ContainerRecord>(join(this.stateDir, 'containers'), 'container.json');
  }
}

let tmpSerial = 0;

/** writeJson writes value to path via a temp file of its own (concurrent saves of one record
 *  must not share a temp file), creating the directory. */
async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.${++tmpSerial}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

/** loadAll reads <dir>/<id>/<file> for every id; unreadable records are skipped. */
async function loadAll<T>(dir: string, file: string): Promise<T[]> {
  let ids: string[];
  try {
    ids = await readdir(dir);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const id of ids) {
    try {
      out.push(JSON.parse(await readFile(join(dir, id, file), 'utf8')) as T);
    } catch {
      // A directory whose record was never written: creation crashed; GC removes it.
    }
  }
  return out;
}

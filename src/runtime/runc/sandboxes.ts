/**
 * Pod sandbox operations. A sandbox is a directory under <state>/sandboxes/<id> holding the
 * network namespace file, the pod's hosts/hostname/resolv.conf and the record; its network is a
 * veth into the node bridge with an address from the node's range. Every step that fails undoes
 * the earlier ones, so a failed RunPodSandbox leaves nothing behind.
 */
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as cri from '../../kubelet/cri/types.js';
import { type RuncContext, newObjectId, nowNs } from './context.js';
import { removeNetns } from './netns.js';
import { hostnameFile, hostsFile, podHostname, resolvConfFile } from './pod-files.js';
import { connectPod, disconnectPod, vethName } from './pod-network.js';
import type { SandboxRecord } from './records.js';

/** The cgroup hierarchies runc creates directories in (v1 controllers + the unified v2 one). */
export const CGROUP_CONTROLLERS = [
  'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd',
  'unified',
];

/** podFilePaths are where a sandbox's shared /etc files live on the host. */
export function podFilePaths(ctx: RuncContext, id: string): {
  hosts: string; hostname: string; resolvConf: string;
} {
  const dir = ctx.records.sandboxDir(id);
  return { hosts: join(dir, 'hosts'), hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf') };
}

/**
 * cgroupParentFor: the kubelet's cgroup_parent when given (it owns and removes that cgroup),
 * else /k8ts/<sandbox id>, which the runtime creates through runc and removes itself.
 */
export function cgroupParentFor(requested: string, sandboxId: string): string {
  if (requested === '') return `/k8ts/${sandboxId}`;
  if (!/^\/?[A-Za-z0-9_.:/-]+$/.test(requested) || requested.split('/').includes('..')) {
    throw cri.criInvalid(`invalid cgroup parent "${requested}"`);
  }
  return requested.startsWith('/') ? requested : `/${requested}`;
}

/** newSandboxRecord validates the config and builds the record (network fields filled later). */
function newSandboxRecord(ctx: RuncContext, req: cri.RunPodSandboxRequest): SandboxRecord {
  const config = req.config;
  const meta = config?.metadata;
  if (!config || !meta || !meta.name) throw cri.criInvalid('sandbox config must include metadata');
  const id = newObjectId();
  return {
    id, name: meta.name, uid: meta.uid, namespace: meta.namespace, attempt: meta.attempt,
    createdAtNs: nowNs(ctx), labels: config.labels, annotations: config.annotations,
    runtimeHandler: req.runtimeHandler,
    hostname: podHostname(config.hostname, meta.name),
    logDirectory: config.logDirectory,
    dns: {
      servers: config.dnsConfig?.servers ?? [], searches: config.dnsConfig?.searches ?? [],
      options: config.dnsConfig?.options ?? [],
    },
    podIp: '', netnsPath: join(ctx.records.sandboxDir(id), 'netns'), hostVeth: vethName(id),
    cgroupParent: cgroupParentFor(config.linux?.cgroupParent ?? '', id),
    sysctls: config.linux?.sysctls ?? {},
    state: 'ready',
  };
}

/** runPodSandbox leases the address, creates the namespace wired to the bridge and writes the
 *  pod files. */
export async function runPodSandbox(ctx: RuncContext, req: cri.RunPodSandboxRequest):
  Promise<string> {
  const record = newSandboxRecord(ctx, req);
  const dir = ctx.records.sandboxDir(record.id);
  await mkdir(dir, { recursive: true });
  try {
    record.podIp = await ctx.allocator.allocate(record.id);
    await connectPod(record, ctx.bridge, ctx.cidr);
    const files = podFilePaths(ctx, record.id);
    await writeFile(files.hosts, hostsFile(record.hostname, record.podIp));
    await writeFile(files.hostname, hostnameFile(record.hostname));
    await writeFile(files.resolvConf, resolvConfFile(record.dns));
    await ctx.records.saveSandbox(record);
  } catch (err) {
    await teardownNetwork(ctx, record);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  ctx.sandboxes.set(record.id, record);
  return record.id;
}

/** teardownNetwork removes veth, address lease and namespace; each step tolerates absence. */
export async function teardownNetwork(ctx: RuncContext, record: SandboxRecord): Promise<void> {
  await disconnectPod(record.hostVeth);
  await ctx.allocator.release(record.id);
  await removeNetns(record.netnsPath);
}

/** markSandboxStopped tears the network down and records NOTREADY (containers are stopped
 *  by the caller first). */
export async function markSandboxStopped(ctx: RuncContext, record: SandboxRecord):
  Promise<void> {
  await teardownNetwork(ctx, record);
  if (record.state !== 'notready') {
    record.state = 'notready';
    await ctx.records.saveSandbox(record);
  }
}

/** removeSandboxFiles deletes the sandbox directory and its cgroup parents, then the record. */
export async function removeSandboxFiles(ctx: RuncContext, record: SandboxRecord):
  Promise<void> {
  await teardownNetwork(ctx, record);
  if (record.cgroupParent === `/k8ts/${record.id}`) await removePodCgroups(record.id);
  await rm(ctx.records.sandboxDir(record.id), { recursive: true, force: true });
  ctx.sandboxes.delete(record.id);
}

/** removePodCgroups removes /k8ts/<pod> in every controller (empty by now; absent is fine). */
export async function removePodCgroups(sandboxId: string): Promise<void> {
  for (const controller of CGROUP_CONTROLLERS) {
    await rmdir(`/sys/fs/cgroup/${controller}/k8ts/${sandboxId}`).catch(() => undefined);
  }
}

/** getSandbox returns the record or throws CRI NotFound. */
export function getSandbox(ctx: RuncContext, id: string): SandboxRecord {
  const record = ctx.sandboxes.get(id) ?? findByPrefix(ctx.sandboxes, id);
  if (!record) throw cri.criNotFound('sandbox', id);
  return record;
}

/** findByPrefix resolves a unique id prefix (as containerd accepts truncated ids). */
export function findByPrefix<T>(map: Map<string, T>, prefix: string): T | undefined {
  if (prefix.length < 3) return undefined;
  const hits = [...map.entries()].filter(([id]) => id.startsWith(prefix));
  return hits.length === 1 ? hits[0]?.[1] : undefined;
}

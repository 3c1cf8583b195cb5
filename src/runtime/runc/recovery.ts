/**
 * What a (re)starting runtime does before serving: reload its records, reconcile them with the
 * host (a sandbox whose namespace mount vanished, e.g. after a reboot, is NOTREADY), and collect
 * the garbage a crash mid-operation can leave: runc containers and bundles without a record,
 * sandbox directories without a record, veths on the node bridge that no live sandbox owns,
 * address leases of sandboxes that are gone, and stray exit files.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeContainerFiles } from './containers.js';
import type { RuncContext } from './context.js';
import { mountPoints } from '../mounts.js';
import { removeNetns } from './netns.js';
import { disconnectPod, vethsOnBridge } from './pod-network.js';
import { removePodCgroups } from './sandboxes.js';

/** RecoveryReport says what recovery found and removed (for the runtime's log). */
export interface RecoveryReport {
  sandboxes: number;
  containers: number;
  removedContainers: string[];
  removedSandboxDirs: string[];
  removedVeths: string[];
  releasedAddresses: string[];
}

/** listDir lists a directory's entries ([] when it does not exist). */
async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** recover loads the records into ctx and removes leftovers; see the file comment. */
export async function recover(ctx: RuncContext): Promise<RecoveryReport> {
  for (const s of await ctx.records.loadSandboxes()) ctx.sandboxes.set(s.id, s);
  for (const c of await ctx.records.loadContainers()) ctx.containers.set(c.id, c);
  const mounted = new Set(await mountPoints(join(ctx.stateDir, 'sandboxes')));
  for (const s of ctx.sandboxes.values()) {
    if (s.state === 'ready' && !mounted.has(s.netnsPath)) {
      s.state = 'notready';
      await ctx.records.saveSandbox(s);
    }
  }
  const removedContainers = await collectContainers(ctx);
  const removedSandboxDirs: string[] = [];
  for (const id of await listDir(join(ctx.stateDir, 'sandboxes'))) {
    if (ctx.sandboxes.has(id)) continue;
    await removeNetns(join(ctx.records.sandboxDir(id), 'netns'));
    await removePodCgroups(id);
    await rm(ctx.records.sandboxDir(id), { recursive: true, force: true });
    removedSandboxDirs.push(id);
  }
  const ownVeths = new Set([...ctx.sandboxes.values()].filter((s) => s.state === 'ready')
    .map((s) => s.hostVeth));
  const removedVeths: string[] = [];
  for (const veth of await vethsOnBridge(ctx.bridge)) {
    if (ownVeths.has(veth)) continue;
    await disconnectPod(veth);
    removedVeths.push(veth);
  }
  const live = new Set([...ctx.sandboxes.values()].filter((s) => s.state === 'ready')
    .map((s) => s.id));
  const releasedAddresses = await ctx.allocator.retain(live);
  return { sandboxes: ctx.sandboxes.size, containers: ctx.containers.size, removedContainers,
    removedSandboxDirs, removedVeths, releasedAddresses };
}

/** collectContainers removes runc containers, bundles and exit files without a record. */
async function collectContainers(ctx: RuncContext): Promise<string[]> {
  const removed = new Set<string>();
  for (const state of await ctx.runc.list()) {
    if (ctx.containers.has(state.id)) continue;
    await removeContainerFiles(ctx, state.id);
    removed.add(state.id);
  }
  for (const id of await listDir(join(ctx.stateDir, 'containers'))) {
    if (ctx.containers.has(id) || removed.has(id)) continue;
    await removeContainerFiles(ctx, id);
    removed.add(id);
  }
  for (const id of await listDir(ctx.exitDir)) {
    if (!ctx.containers.has(id)) await rm(join(ctx.exitDir, id), { force: true });
  }
  for (const record of [...ctx.containers.values()]) {
    if (!ctx.sandboxes.has(record.sandboxId)) {
      await removeContainerFiles(ctx, record.id);
      ctx.containers.delete(record.id);
      removed.add(record.id);
    }
  }
  return [...removed];
}

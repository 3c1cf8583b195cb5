/**
 * The host side of a containerd node's pod network: the node's bridge with its gateway address,
 * the 100.64.0.0/10 blackhole route that keeps pod ranges from ever leaving through the default
 * route, and net.ipv4.ip_forward, read before start and restored on stop if anything changed it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { K8TS_POD_SUPERNET } from '../cidr.js';
import type { PodNetwork } from './pod-network.js';
import { run as mustRun, runCommand } from '../command.js';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** linkExists tells whether an interface of that name exists in the host namespace. */
export async function linkExists(name: string): Promise<boolean> {
  return (await runCommand(['ip', 'link', 'show', 'dev', name])).code === 0;
}

/** ensureBridge creates net.bridge if absent, gives it the gateway address and brings it up.
 *  Idempotent, so a restarted runtime reuses the bridge its running pods are plugged into. */
export async function ensureBridge(net: PodNetwork): Promise<void> {
  if (!(await linkExists(net.bridge))) {
    const made = await runCommand(['ip', 'link', 'add', 'name', net.bridge, 'type', 'bridge']);
    if (made.code !== 0 && !(await linkExists(net.bridge))) {
      throw new Error(`cannot create bridge ${net.bridge}: ${made.stderr.trim()}`);
    }
  }
  const cidr = `${net.gateway}/${net.prefixLength}`;
  const shown = await mustRun(['ip', '-o', '-4', 'addr', 'show', 'dev', net.bridge]);
  if (!shown.includes(` ${cidr} `)) {
    await mustRun(['ip', 'addr', 'add', cidr, 'dev', net.bridge]);
  }
  await mustRun(['ip', 'link', 'set', 'dev', net.bridge, 'up']);
}

/** deleteBridge removes the bridge (absent is fine); its connected route goes with it. */
export async function deleteBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await mustRun(['ip', 'link', 'del', 'dev', bridge]);
}

/** ensureBlackhole adds `blackhole 100.64.0.0/10` once. It is left in place on stop: other
 *  k8ts nodes on the host rely on it, and a node's connected /24 is more specific anyway. */
export async function ensureBlackhole(): Promise<void> {
  const shown = await mustRun(['ip', 'route', 'show', 'type', 'blackhole', K8TS_POD_SUPERNET]);
  if (shown.trim() !== '') return;
  const added = await runCommand(['ip', 'route', 'add', 'blackhole', K8TS_POD_SUPERNET]);
  if (added.code !== 0 && !/File exists/.test(added.stderr)) {
    throw new Error(`cannot add blackhole route ${K8TS_POD_SUPERNET}: ${added.stderr.trim()}`);
  }
}

/** readIpForward is net.ipv4.ip_forward ("0" or "1"). */
export async function readIpForward(): Promise<string> {
  return (await readFile(IP_FORWARD, 'utf8')).trim();
}

/** restoreIpForward puts back the value read before start, when something changed it. */
export async function restoreIpForward(before: string): Promise<boolean> {
  if ((await readIpForward()) === before) return false;
  await writeFile(IP_FORWARD, `${before}\n`);
  return true;
}

/**
 * Pod networking with plain `ip`: one bridge per node (k8ts-<node>) holding the gateway address
 * of the node's pod range, one veth pair per pod (host end on the bridge, "eth0" in the pod's
 * namespace), and a host blackhole route for all of 100.64.0.0/10 so pod traffic to ranges that
 * are not connected here dies on the host instead of following the default route out of eth0.
 * ip_forward is never touched, and no NAT rule is added: nothing leaves the machine.
 */
import { cidrWithin, formatCidr, formatIpv4, gatewayOf, type Ipv4Cidr, K8TS_POD_SUPERNET,
  parseCidr } from '../cidr.js';
import { assert } from '../../base/assert.js';
import { run, runCommand } from '../command.js';
import { inNetns } from './netns.js';

/** Host-side veth names start with this, so garbage collection can find ours. */
export const VETH_PREFIX = 'k8v';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const MAX_IFNAME = 15;

/** vethName is the host end's name for a sandbox: prefix + 12 hex chars of its id. */
export function vethName(sandboxId: string): string {
  return `${VETH_PREFIX}${sandboxId.slice(0, MAX_IFNAME - VETH_PREFIX.length)}`;
}

/** assertPodCidr rejects a pod range outside 100.64.0.0/10 (the network rule) or too small. */
export function assertPodCidr(text: string): Ipv4Cidr {
  const cidr = parseCidr(text);
  if (!cidrWithin(cidr, parseCidr(K8TS_POD_SUPERNET))) {
    throw new Error(`pod CIDR ${text} is outside ${K8TS_POD_SUPERNET}`);
  }
  if (cidr.prefixLength > 30) throw new Error(`pod CIDR ${text} has no room for pods`);
  return cidr;
}

/** linkExists says whether a network interface of that name exists on the host. */
export async function linkExists(name: string): Promise<boolean> {
  return (await runCommand(['ip', 'link', 'show', 'dev', name])).code === 0;
}

/** ensureBridge creates the node bridge if absent and gives it the range's gateway address. */
export async function ensureBridge(bridge: string, cidr: Ipv4Cidr): Promise<void> {
  if (bridge.length > MAX_IFNAME) throw new Error(`bridge name ${bridge} is over 15 bytes`);
  if (!(await linkExists(bridge))) {
    const made = await runCommand(['ip', 'link', 'add', 'name', bridge, 'type', 'bridge']);
    if (made.code !== 0 && !(await linkExists(bridge))) {
      throw new Error(`cannot create bridge ${bridge}: ${made.stderr.trim()}`);
    }
  }
  await run(['ip', 'addr', 'replace', formatCidr(gatewayOf(cidr), cidr.prefixLength),
    'dev', bridge]);
  await run(['ip', 'link', 'set', 'dev', bridge, 'up']);
}

/** ensureBlackhole adds the 100.64.0.0/10 blackhole route; true when this call added it. */
export async function ensureBlackhole(): Promise<boolean> {
  const existing = await run(['ip', 'route', 'show', 'exact', K8TS_POD_SUPERNET, 'table', 'all']);
  if (existing.trim() !== '') return false;
  const added = await runCommand(['ip', 'route', 'add', 'blackhole', K8TS_POD_SUPERNET]);
  if (added.code !== 0 && !/File exists/.test(added.stderr)) {
    throw new Error(`cannot add blackhole route: ${added.stderr.trim()}`);
  }
  return added.code === 0;
}

/** removeBlackhole deletes the blackhole route (absent is fine). */
export async function removeBlackhole(): Promise<void> {
  await runCommand(['ip', 'route', 'del', 'blackhole', K8TS_POD_SUPERNET]);
}

/** k8tsBridges lists the host's bridges named k8ts-*, i.e. nodes of any k8ts on this host. */
export async function k8tsBridges(): Promise<string[]> {
  const out = await run(['ip', '-o', 'link', 'show', 'type', 'bridge']);
  return out
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined && n.startsWith('k8ts-'));
}

/** PodLink says how a pod is wired: its namespace file, address and the host veth. */
export interface PodLink {
  netnsPath: string;
  podIp: string;
  hostVeth: string;
}

/** connectPod creates the veth pair, plugs it into the bridge and configures the pod side. */
export async function connectPod(link: PodLink, bridge: string, cidr: Ipv4Cidr): Promise<void> {
  assert(!/\s/.test(link.netnsPath), `netns path must not contain spaces: ${link.netnsPath}`);
  const hostBatch = [
    `link add ${link.hostVeth} type veth peer name eth0 netns ${link.netnsPath}`,
    `link set dev ${link.hostVeth} master ${bridge} up`,
    '',
  ].join('\n');
  const made = await runCommand(['ip', '-batch', '-'], { input: hostBatch });
  if (made.code !== 0) {
    // A veth left by a crash mid-setup has this name: remove it and try once more.
    await runCommand(['ip', 'link', 'del', 'dev', link.hostVeth]);
    await run(['ip', '-batch', '-'], { input: hostBatch });
  }
  const gateway = formatIpv4(gatewayOf(cidr));
  const batch = [
    'link set lo up',
    `addr add ${link.podIp}/${cidr.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${gateway} dev eth0`,
    '',
  ].join('\n');
  await inNetns(link.netnsPath, ['ip', '-batch', '-'], batch);
}

/** disconnectPod deletes the host veth (its peer goes with it); absent is fine. */
export async function disconnectPod(hostVeth: string): Promise<void> {
  await runCommand(['ip', 'link', 'del', 'dev', hostVeth]);
}

/** vethsOnBridge lists the host veths of ours attached to the bridge. */
export async function vethsOnBridge(bridge: string): Promise<string[]> {
  const out = await runCommand(['ip', '-o', 'link', 'show', 'master', bridge]);
  if (out.code !== 0) return [];
  return out.stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined && n.startsWith(VETH_PREFIX));
}

/** deleteBridge removes the node bridge (absent is fine). */
export async function deleteBridge(bridge: string): Promise<void> {
  await runCommand(['ip', 'link', 'del', 'dev', bridge]);
}

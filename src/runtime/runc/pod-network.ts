/**
 * Pod networking with plain `ip`: one veth pair per pod (host end on the node's bridge, "eth0" in
 * the pod's namespace). The bridge itself and the host's 100.64.0.0/10 blackhole route are
 * src/runtime/host-network.ts, shared with the containerd runtime. ip_forward is never touched,
 * and no NAT rule is added: nothing leaves the machine.
 */
import { cidrWithin, formatIpv4, gatewayOf, type Ipv4Cidr, K8TS_POD_SUPERNET,
  parseCidr } from '../cidr.js';
import { assert } from '../../base/assert.js';
import { linkNames, MAX_IFNAME_BYTES } from '../host-network.js';
import { inNetns } from './netns.js';
import { runTool, runToolOk } from './spawner.js';

/** Host-side veth names start with this, so garbage collection can find ours. */
export const VETH_PREFIX = 'k8v';

/** vethName is the host end's name for a sandbox: prefix + 12 hex chars of its id. */
export function vethName(sandboxId: string): string {
  return `${VETH_PREFIX}${sandboxId.slice(0, MAX_IFNAME_BYTES - VETH_PREFIX.length)}`;
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
  const made = await runTool(['ip', '-batch', '-'], { input: hostBatch });
  if (made.code !== 0) {
    // A veth left by a crash mid-setup has this name: remove it and try once more.
    await runTool(['ip', 'link', 'del', 'dev', link.hostVeth]);
    await runToolOk(['ip', '-batch', '-'], { input: hostBatch });
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
  await runTool(['ip', 'link', 'del', 'dev', hostVeth]);
}

/** vethsOnBridge lists the host veths of ours attached to the bridge. */
export async function vethsOnBridge(bridge: string): Promise<string[]> {
  const out = await runTool(['ip', '-o', 'link', 'show', 'master', bridge]);
  if (out.code !== 0) return [];
  return linkNames(out.stdout).filter((n) => n.startsWith(VETH_PREFIX));
}

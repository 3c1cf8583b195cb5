/**
 * Pod networking with plain `ip`: one veth pair per pod (host end on the node's bridge, "eth0" in
 * the pod's namespace). The bridge itself and the host's 100.64.0.0/10 blackhole route are
 * src/runtime/host-network.ts, shared with the containerd runtime. ip_forward is never touched,
 * and no NAT rule is added: nothing leaves the machine.
 */
import { cidrWithin, formatIpv4, gatewayOf, type Ipv4Cidr, K8TS_POD_SUPERNET,
  parseCidr } from '../cidr.js';
import { assert } from '../../base/assert.js';
import { linkExists, linkNames, MAX_IFNAME_BYTES } from '../host-network.js';
import { createNetns } from './netns.js';
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

/**
 * podSideBatch is what `ip -batch` runs inside the new namespace: loopback up, eth0 created as
 * a veth whose peer (the host end) goes straight to hostNetns, the address, the default route.
 */
export function podSideBatch(link: PodLink, cidr: Ipv4Cidr, hostNetns: string): string {
  return [
    'link set lo up',
    `link add eth0 type veth peer name ${link.hostVeth} netns ${hostNetns}`,
    `addr add ${link.podIp}/${cidr.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${formatIpv4(gatewayOf(cidr))} dev eth0`,
    '',
  ].join('\n');
}

/**
 * connectPod creates the pod's namespace with its side configured (one `unshare ... ip -batch`),
 * then plugs the host end into the bridge (one `ip`): two tools per pod, where a namespace,
 * a host batch and an nsenter batch took three.
 */
export async function connectPod(link: PodLink, bridge: string, cidr: Ipv4Cidr): Promise<void> {
  assert(!/\s/.test(link.netnsPath), `netns path must not contain spaces: ${link.netnsPath}`);
  const batch = podSideBatch(link, cidr, `/proc/${process.pid}/ns/net`);
  try {
    await createNetns(link.netnsPath, ['ip', '-batch', '-'], batch);
  } catch (err) {
    // A veth left by a crash mid-setup has this name: remove it and try once more.
    if (!(await linkExists(link.hostVeth))) throw err;
    await disconnectPod(link.hostVeth);
    await createNetns(link.netnsPath, ['ip', '-batch', '-'], batch);
  }
  await runToolOk(['ip', 'link', 'set', 'dev', link.hostVeth, 'master', bridge, 'up']);
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

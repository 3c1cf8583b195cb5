/**
 * Pod networking with plain `ip`: one veth pair per pod (host end on the node's bridge, "eth0" in
 * the pod's namespace). The bridge itself and the host's 100.64.0.0/10 blackhole route are
 * src/runtime/host-network.ts, shared with the containerd runtime. ip_forward is never touched,
 * and no NAT rule is added: nothing leaves the machine.
 */
import { cidrWithin, formatIpv4, gatewayOf, type Ipv4Cidr, K8TS_POD_SUPERNET,
  parseCidr } from '../cidr.js';
import { assert } from '../../base/assert.js';
import { linkExists, linkIndex, linkNames, MAX_IFNAME_BYTES } from '../host-network.js';
import { createNetns } from './netns.js';
import { runTool } from './spawner.js';

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
 * podSideBatch is what `ip -batch` runs inside the new namespace: loopback up; the veth pair
 * made from the host end, created straight in hostNetns, already on the bridge and up (`master
 * if<index>`: ip takes an index in that form without looking the name up, and the bridge is not
 * in this namespace), its peer eth0 staying here; eth0's address and the default route.
 */
export function podSideBatch(link: PodLink, cidr: Ipv4Cidr, hostNetns: string,
  bridgeIndex: number): string {
  assert(Number.isInteger(bridgeIndex) && bridgeIndex > 0, `bridge index ${bridgeIndex}`);
  return [
    'link set lo up',
    `link add ${link.hostVeth} netns ${hostNetns} master if${bridgeIndex} up type veth ` +
      'peer name eth0',
    `addr add ${link.podIp}/${cidr.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${formatIpv4(gatewayOf(cidr))} dev eth0`,
    '',
  ].join('\n');
}

/**
 * connectPod creates the pod's namespace and wires it in one process: `ip -batch` in the new
 * namespace (podSideBatch), which the host tool helper's child made. It was an unshare exec
 * running that ip, then a second ip for the bridge, and before that three tools.
 */
export async function connectPod(link: PodLink, bridge: string, cidr: Ipv4Cidr): Promise<void> {
  assert(!/\s/.test(link.netnsPath), `netns path must not contain spaces: ${link.netnsPath}`);
  const batch = podSideBatch(link, cidr, `/proc/${process.pid}/ns/net`, await linkIndex(bridge));
  try {
    await createNetns(link.netnsPath, ['ip', '-batch', '-'], batch);
  } catch (err) {
    // A veth left by a crash mid-setup has this name: remove it and try once more.
    if (!(await linkExists(link.hostVeth))) throw err;
    await disconnectPod(link.hostVeth);
    await createNetns(link.netnsPath, ['ip', '-batch', '-'], batch);
  }
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

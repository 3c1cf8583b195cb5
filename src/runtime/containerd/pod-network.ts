/**
 * The pod network of one containerd node, as pure values: its CNI network and bridge names, its
 * /24-or-so range inside 100.64.0.0/10 with the bridge's gateway address, and the CNI conflist.
 *
 * k8ts creates the bridge and gives it the gateway address itself, and tells the CNI bridge
 * plugin isGateway=false: the plugin then only plugs veths into the bridge, and never turns on
 * net.ipv4.ip_forward (with isGateway it would, pitfall P7), so pod traffic can reach the host
 * and the other pods of the node but is never forwarded anywhere, least of all to eth0. There is
 * no portmap plugin (no hostPort NAT) and no ipMasq.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../base/assert.js';
import { cidrSize, cidrWithin, formatIpv4, gatewayOf, K8TS_POD_SUPERNET, parseCidr,
  parseIpv4 } from '../cidr.js';
import { K8TS_BRIDGE_PREFIX, MAX_IFNAME_BYTES } from '../host-network.js';

/** One node's pod network. */
export interface PodNetwork {
  /** The CNI network name (also the prefix of libcni's cache files). */
  name: string;
  bridge: string;
  /** The node's pod range, "100.64.3.0/24". */
  subnet: string;
  /** The bridge's address, the range's first host ("100.64.3.1"). */
  gateway: string;
  prefixLength: number;
  /** host-local IPAM's allocation records. */
  ipamDir: string;
}

/** bridgeNameFor is "k8ts-<node>", or "k8ts-<hash>" when that would exceed 15 bytes. */
export function bridgeNameFor(node: string): string {
  const plain = `${K8TS_BRIDGE_PREFIX}${node}`;
  if (Buffer.byteLength(plain) <= MAX_IFNAME_BYTES && /^[A-Za-z0-9-]+$/.test(node)) return plain;
  return `${K8TS_BRIDGE_PREFIX}${createHash('sha256').update(node).digest('hex').slice(0, 10)}`;
}

/** InvalidPodCidrError: the caller's pod range is malformed or outside 100.64.0.0/10. */
export class InvalidPodCidrError extends Error {
  override name = 'InvalidPodCidrError';
}

/**
 * podNetworkFor checks podCidr (a network address with a /16../28 prefix inside 100.64.0.0/10)
 * and names the node's network after bridge (default bridgeNameFor(node)).
 */
export function podNetworkFor(
  node: string,
  podCidr: string,
  ipamDir: string,
  bridge: string = bridgeNameFor(node),
): PodNetwork {
  const [address = '', lengthText = '', extra] = podCidr.split('/');
  const prefixLength = Number(lengthText);
  let network = Number.NaN;
  try {
    network = parseIpv4(address);
  } catch {
    // reported below with the shape this function wants
  }
  if (extra !== undefined || !/^\d{1,2}$/.test(lengthText) || Number.isNaN(network)
    || prefixLength < 16 || prefixLength > 28) {
    throw new InvalidPodCidrError(`pod CIDR ${podCidr}: want a.b.c.d/16..28`);
  }
  const cidr = { network, prefixLength };
  if (network % cidrSize(cidr) !== 0) {
    throw new InvalidPodCidrError(`pod CIDR ${podCidr} is not a network`);
  }
  if (!cidrWithin(cidr, parseCidr(K8TS_POD_SUPERNET))) {
    throw new InvalidPodCidrError(`pod CIDR ${podCidr} is outside ${K8TS_POD_SUPERNET}`);
  }
  if (Buffer.byteLength(bridge) > MAX_IFNAME_BYTES || !/^[A-Za-z0-9_.-]+$/.test(bridge)) {
    throw new InvalidPodCidrError(`bridge name ${JSON.stringify(bridge)} is not a valid ifname`);
  }
  return {
    name: bridge,
    bridge,
    subnet: podCidr,
    gateway: formatIpv4(gatewayOf(cidr)),
    prefixLength,
    ipamDir,
  };
}

/** renderCniConflist is the node's conflist: bridge + host-local, nothing that NATs. */
export function renderCniConflist(net: PodNetwork): string {
  assert(net.ipamDir.startsWith('/'), 'ipamDir must be absolute');
  const conf = {
    cniVersion: '1.0.0',
    name: net.name,
    plugins: [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: net.subnet, gateway: net.gateway }]],
          routes: [{ dst: '0.0.0.0/0', gw: net.gateway }],
          dataDir: net.ipamDir,
        },
      },
    ],
  };
  return `${JSON.stringify(conf, null, 2)}\n`;
}

/**
 * IPv4 CIDR arithmetic for a node's pod range, shared by every runtime (runc, containerd,
 * simulated). Pure, so the allocators, the CNI config and the network shell agree on which
 * address is the gateway, which ones pods may get, and what lies inside 100.64.0.0/10.
 */

/** Ipv4Cidr is a parsed "a.b.c.d/len" network: base address as an unsigned 32-bit number. */
export interface Ipv4Cidr {
  /** The network address (host bits zero). */
  network: number;
  prefixLength: number;
}

/** The shared address space k8ts uses for pods (RFC 6598); the network rule allows only it. */
export const K8TS_POD_SUPERNET = '100.64.0.0/10';

/** parseIpv4 turns dotted quad text into an unsigned 32-bit number, or throws on bad input. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${text}"`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) {
      throw new Error(`invalid IPv4 address "${text}"`);
    }
    value = value * 256 + Number(part);
  }
  return value;
}

/** formatIpv4 turns an unsigned 32-bit number back into dotted quad text. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** parseCidr parses "a.b.c.d/len"; host bits set in the address are an error (ambiguous range). */
export function parseCidr(text: string): Ipv4Cidr {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len)) {
    throw new Error(`invalid CIDR "${text}"`);
  }
  const prefixLength = Number(len);
  if (prefixLength > 32) throw new Error(`invalid CIDR "${text}"`);
  const network = parseIpv4(addr);
  if (network % cidrSize({ network: 0, prefixLength }) !== 0) {
    throw new Error(`CIDR "${text}" has host bits set`);
  }
  return { network, prefixLength };
}

/** cidrSize is the number of addresses in the range, network and broadcast included. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

/** cidrContains says whether the address lies inside the range. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidrSize(cidr);
}

/** cidrWithin says whether inner lies entirely inside outer. */
export function cidrWithin(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return inner.prefixLength >= outer.prefixLength && cidrContains(outer, inner.network);
}

/** gatewayOf is the first usable address: the bridge's own address, as the brief fixes it. */
export function gatewayOf(cidr: Ipv4Cidr): number {
  return cidr.network + 1;
}

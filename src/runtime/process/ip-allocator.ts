/**
 * Pod addresses for the process runtime. Every pod of a node gets its own loopback address from
 * the node's pod range (all of 127.0.0.0/8 is local on Linux, no setup needed), so two pods can
 * each bind the same port number on their own IP. Pure: the runtime persists what it allocates
 * and passes the live addresses back in after a restart.
 */

/** LoopbackCidr is a parsed IPv4 range inside 127.0.0.0/8. */
export interface LoopbackCidr {
  /** The first address of the range as a 32-bit unsigned number. */
  readonly base: number;
  readonly prefixLength: number;
  /** How many addresses the range spans (network and broadcast included). */
  readonly size: number;
}

/** ipToNumber parses dotted IPv4; undefined when it is not one. */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** numberToIp formats a 32-bit unsigned number as dotted IPv4. */
export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * parseLoopbackCidr parses "127.2.1.0/24". It throws a RangeError naming the problem when the
 * text is not a CIDR, lies outside 127.0.0.0/8 (the network rule: the process runtime never
 * gives pods a routable address) or is too small to hold a pod (/31, /32).
 */
export function parseLoopbackCidr(text: string): LoopbackCidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const ip = m ? ipToNumber(m[1] ?? '') : undefined;
  const prefixLength = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefixLength >= 0 && prefixLength <= 32)) {
    throw new RangeError(`pod CIDR "${text}" is not an IPv4 CIDR like 127.2.1.0/24`);
  }
  if (prefixLength < 8 || (ip >>> 24) !== 127) {
    throw new RangeError(`pod CIDR "${text}" must lie inside 127.0.0.0/8 (loopback only)`);
  }
  if (prefixLength > 30) {
    throw new RangeError(`pod CIDR "${text}" is too small: at most /30`);
  }
  const size = 2 ** (32 - prefixLength);
  const base = (ip - (ip % size)) >>> 0;
  return { base, prefixLength, size };
}

/** cidrContains tells whether ip (dotted) lies inside cidr. */
export function cidrContains(cidr: LoopbackCidr, ip: string): boolean {
  const n = ipToNumber(ip);
  return n !== undefined && n >= cidr.base && n < cidr.base + cidr.size;
}

/**
 * IpAllocator hands out the usable addresses of a range (not the network and broadcast
 * addresses) round-robin from the last one handed out, as CNI's host-local does: a released
 * address is reused as late as possible, so a stale endpoint or a client's old connection
 * rarely reaches a new pod. A live address is never handed out twice.
 */
export class IpAllocator {
  private readonly live = new Set<number>();
  private last: number;

  /** live: the addresses in use now (after a restart, from the persisted sandboxes);
   *  lastIp: the last address handed out, where the round-robin continues. */
  constructor(
    readonly cidr: LoopbackCidr,
    live: Iterable<string> = [],
    lastIp?: string,
  ) {
    for (const ip of live) {
      const n = ipToNumber(ip);
      if (n !== undefined && cidrContains(cidr, ip)) this.live.add(n);
    }
    const lastN = lastIp === undefined ? undefined : ipToNumber(lastIp);
    this.last = lastN !== undefined && cidrContains(cidr, lastIp ?? '') ? lastN : cidr.base;
  }

  /** The last address handed out, to persist so the round-robin survives a restart. */
  get lastAllocated(): string {
    return numberToIp(this.last);
  }

  /** How many addresses are in use. */
  get liveCount(): number {
    return this.live.size;
  }

  /** allocate returns a free address, or undefined when the range is exhausted. */
  allocate(): string | undefined {
    const first = this.cidr.base + 1;
    const usable = this.cidr.size - 2;
    for (let i = 1; i <= usable; i++) {
      const candidate = first + ((this.last - first + i) % usable + usable) % usable;
      if (!this.live.has(candidate)) {
        this.live.add(candidate);
        this.last = candidate;
        return numberToIp(candidate);
      }
    }
    return undefined;
  }

  /** release frees ip; releasing an address that is not live is a no-op (idempotent removal). */
  release(ip: string): void {
    const n = ipToNumber(ip);
    if (n !== undefined) this.live.delete(n);
  }
}

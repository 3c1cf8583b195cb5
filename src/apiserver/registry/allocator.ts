/**
 * Service address allocation shared by every API server: a Service's cluster IP (and NodePort)
 * is claimed by creating a key in the store (/registry/ipallocations/<ip>, created only if
 * absent), so two API servers can never hand out the same address, and a crash between claim
 * and Service write leaks at most one address (repairable, never doubled).
 *
 * Addresses come from a loopback range (ARCHITECTURE.md §6, default 127.96.0.0/16): nothing
 * k8ts allocates can route off the machine. The first address belongs to the `kubernetes`
 * Service.
 */
import { assert } from '../../base/assert.js';
import { isStatusError } from '../../api/errors.js';
import type { Storage } from '../storage/types.js';

const IP_PREFIX = '/registry/ipallocations/';
const PORT_PREFIX = '/registry/portallocations/';
/** Probes before giving up: a nearly full range fails fast instead of scanning 65k keys. */
const MAX_PROBES = 64;

/** Cidr is an IPv4 range. */
export interface Cidr {
  base: number;
  size: number;
}

/** parseCidr reads "127.96.0.0/16". */
export function parseCidr(text: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  assert(m !== null, `bad CIDR ${text}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  assert(octets.every((o) => o >= 0 && o <= 255) && bits >= 8 && bits <= 30, `bad CIDR ${text}`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: base - (base % size), size };
}

/** ipString renders a 32-bit address. */
export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function ipNumber(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return o.reduce((acc, x) => acc * 256 + x, 0);
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** AllocationError says why an address could not be had, and which (the caller words the 422). */
export class AllocationError extends Error {
  constructor(
    readonly what: 'ip' | 'nodePort',
    message: string,
  ) {
    super(message);
  }
}

/** Allocator claims and releases cluster IPs and node ports through the store. */
export class Allocator {
  constructor(
    private readonly storage: Storage,
    private readonly serviceCidr: Cidr,
    private readonly nodePorts = { min: 30000, max: 32767 },
  ) {}

  /** firstIp is the `kubernetes` Service's address (the range's .1). */
  firstIp(): string {
    return ipString(this.serviceCidr.base + 1);
  }

  /** inRange tells whether ip belongs to the service range. */
  inRange(ip: string): boolean {
    const n = ipNumber(ip);
    return n !== undefined && n > this.serviceCidr.base && n < this.serviceCidr.base + this.serviceCidr.size - 1;
  }

  /** allocateIp claims `want` (must be free) or a free address chosen from owner's hash. */
  async allocateIp(owner: string, want?: string): Promise<string> {
    if (want !== undefined) {
      if (!this.inRange(want)) throw new AllocationError('ip', `failed to allocate IP ${want}: the provided IP (${want}) is not in the valid range. The range of valid IPs is ${ipString(this.serviceCidr.base)}/${32 - Math.log2(this.serviceCidr.size)}`);
      if (!(await this.claim(IP_PREFIX + want, owner))) throw new AllocationError('ip', `failed to allocate IP ${want}: provided IP is already allocated`);
      return want;
    }
    const usable = this.serviceCidr.size - 3; // network, .1 (kubernetes), broadcast
    const start = hash(owner) % usable;
    for (let i = 0; i < Math.min(MAX_PROBES, usable); i++) {
      const ip = ipString(this.serviceCidr.base + 2 + ((start + i) % usable));
      if (await this.claim(IP_PREFIX + ip, owner)) return ip;
    }
    throw new AllocationError('ip', 'failed to allocate a serviceIP: range is full');
  }

  /** allocateNodePort claims `want` or a free port in 30000–32767. */
  async allocateNodePort(owner: string, want?: number): Promise<number> {
    const { min, max } = this.nodePorts;
    if (want !== undefined) {
      if (want < min || want > max) throw new AllocationError('nodePort', `provided port is not in the valid range. The range of valid ports is ${min}-${max}`);
      if (!(await this.claim(PORT_PREFIX + String(want), owner))) throw new AllocationError('nodePort', 'provided port is already allocated');
      return want;
    }
    const span = max - min + 1;
    const start = hash(owner) % span;
    for (let i = 0; i < MAX_PROBES; i++) {
      const port = min + ((start + i) % span);
      if (await this.claim(PORT_PREFIX + String(port), owner)) return port;
    }
    throw new AllocationError('nodePort', 'range is full');
  }

  /** claimKubernetesIp claims the first address for default/kubernetes (idempotent). */
  async claimKubernetesIp(): Promise<void> {
    await this.claim(IP_PREFIX + this.firstIp(), 'default/kubernetes');
  }

  /** releaseIp frees an address (absent is fine: release is idempotent). */
  async releaseIp(ip: string): Promise<void> {
    await this.release(IP_PREFIX + ip);
  }

  async releaseNodePort(port: number): Promise<void> {
    await this.release(PORT_PREFIX + String(port));
  }

  private async claim(key: string, owner: string): Promise<boolean> {
    try {
      await this.storage.create(key, { metadata: { name: key.slice(key.lastIndexOf('/') + 1) }, owner });
      return true;
    } catch (err) {
      if (isStatusError(err) && err.reason === 'AlreadyExists') {
        const cur = await this.storage.get(key);
        return cur?.owner === owner; // our own earlier claim (a retried create) is still ours
      }
      throw err;
    }
  }

  private async release(key: string): Promise<void> {
    try {
      await this.storage.delete(key);
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
    }
  }
}

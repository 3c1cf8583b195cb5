/**
 * Pod address allocation. The core is a pure function over the set of live leases, so a restarted
 * runtime that reloads the same leases hands out the same answers; the file shell persists the
 * leases next to the sandboxes so an address is never given twice while its pod lives.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { cidrSize, formatIpv4, gatewayOf, type Ipv4Cidr, parseIpv4 } from '../cidr.js';

/** IpLeases maps a dotted-quad address to the sandbox id holding it. */
export type IpLeases = Record<string, string>;

/**
 * pickAddress returns the first free host address after the last one handed out (wrapping), so
 * an address freed by a deleted pod is not immediately reused (stale connections, ARP caches).
 * Skips network, gateway and broadcast. Returns undefined when the range is full.
 */
export function pickAddress(
  cidr: Ipv4Cidr,
  leases: IpLeases,
  lastAssigned: string | undefined,
): string | undefined {
  const size = cidrSize(cidr);
  const first = gatewayOf(cidr) + 1;
  const last = cidr.network + size - 2;
  if (last < first) return undefined;
  const count = last - first + 1;
  const previous = lastAssigned === undefined ? first - 1 : parseIpv4(lastAssigned);
  const start = previous >= first && previous <= last ? previous - first + 1 : 0;
  for (let i = 0; i < count; i++) {
    const candidate = formatIpv4(first + ((start + i) % count));
    if (leases[candidate] === undefined) return candidate;
  }
  return undefined;
}

/** AllocatorState is what the file holds: the leases and where the next search starts. */
export interface AllocatorState {
  leases: IpLeases;
  lastAssigned?: string;
}

/**
 * FileIpAllocator persists AllocatorState as JSON (written to a temp file then renamed, so a
 * crash never leaves half a file). Calls are serialised through one promise chain because two
 * concurrent RunPodSandbox calls must not pick the same address.
 */
export class FileIpAllocator {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly cidr: Ipv4Cidr,
  ) {}

  /** allocate leases an address to owner (idempotent: an owner keeps its address). */
  allocate(owner: string): Promise<string> {
    return this.serial(async () => {
      const state = await this.load();
      const held = Object.entries(state.leases).find(([, o]) => o === owner);
      if (held) return held[0];
      const address = pickAddress(this.cidr, state.leases, state.lastAssigned);
      if (address === undefined) throw new Error(`no free address left in the pod range`);
      state.leases[address] = owner;
      state.lastAssigned = address;
      await this.save(state);
      return address;
    });
  }

  /** release frees every address owner holds; releasing nothing is not an error. */
  release(owner: string): Promise<void> {
    return this.serial(async () => {
      const state = await this.load();
      const kept = Object.entries(state.leases).filter(([, o]) => o !== owner);
      if (kept.length === Object.keys(state.leases).length) return;
      await this.save({ ...state, leases: Object.fromEntries(kept) });
    });
  }

  /** retain frees the leases of every owner not in live (garbage collection after a crash). */
  retain(live: ReadonlySet<string>): Promise<string[]> {
    return this.serial(async () => {
      const state = await this.load();
      const dropped = Object.entries(state.leases).filter(([, o]) => !live.has(o));
      if (dropped.length === 0) return [];
      const kept = Object.entries(state.leases).filter(([, o]) => live.has(o));
      await this.save({ ...state, leases: Object.fromEntries(kept) });
      return dropped.map(([address]) => address);
    });
  }

  /** leases returns a copy of the current leases. */
  leases(): Promise<IpLeases> {
    return this.serial(async () => ({ ...(await this.load()).leases }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<AllocatorState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { leases: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as AllocatorState;
    return { leases: { ...parsed.leases }, lastAssigned: parsed.lastAssigned };
  }

  private async save(state: AllocatorState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, this.path);
  }
}

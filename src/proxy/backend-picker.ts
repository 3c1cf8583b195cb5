/**
 * BackendPicker chooses the backend of each new connection (or UDP session) of one frontend:
 * round robin over the ready backends, as kube-proxy's userspace load balancer did, with
 * ClientIP session affinity when the Service asks for it (a client keeps its backend while it
 * is still a backend and the affinity has not expired). No I/O: time is passed in.
 */
import type { Backend } from './frontends.js';

/** MAX_AFFINITY_ENTRIES bounds the affinity table; the oldest entries go first. */
export const MAX_AFFINITY_ENTRIES = 10_000;

interface Affinity {
  backend: Backend;
  lastUsedMs: number;
}

export class BackendPicker {
  private backends: Backend[] = [];
  private next = 0;
  private readonly affinity = new Map<string, Affinity>();

  constructor(private affinityMs: number) {}

  /** update replaces the backends (and affinity timeout); clients whose backend is gone lose
   *  their affinity. */
  update(backends: readonly Backend[], affinityMs: number): void {
    this.backends = [...backends];
    this.affinityMs = affinityMs;
    if (this.next >= this.backends.length) this.next = 0;
    const live = new Set(this.backends.map(keyOf));
    for (const [client, a] of this.affinity) {
      if (affinityMs === 0 || !live.has(keyOf(a.backend))) this.affinity.delete(client);
    }
  }

  /** size: how many backends there are. */
  get size(): number {
    return this.backends.length;
  }

  /** pick: the backend for a new connection from clientIp, undefined when there is none. */
  pick(clientIp: string, nowMs: number): Backend | undefined {
    if (this.backends.length === 0) return undefined;
    if (this.affinityMs > 0) {
      const a = this.affinity.get(clientIp);
      if (a && nowMs - a.lastUsedMs <= this.affinityMs) {
        a.lastUsedMs = nowMs;
        // Re-insert: Map order is then least-recently-used first, for eviction.
        this.affinity.delete(clientIp);
        this.affinity.set(clientIp, a);
        return a.backend;
      }
    }
    const b = this.roundRobin();
    if (this.affinityMs > 0) this.remember(clientIp, b, nowMs);
    return b;
  }

  /** after: the backend following b in rotation (a failed connect tries the next one). */
  after(b: Backend): Backend | undefined {
    const i = this.backends.findIndex((x) => keyOf(x) === keyOf(b));
    if (this.backends.length === 0) return undefined;
    return this.backends[(i + 1) % this.backends.length];
  }

  private roundRobin(): Backend {
    const b = this.backends[this.next % this.backends.length];
    this.next = (this.next + 1) % this.backends.length;
    if (b === undefined) throw new Error('BackendPicker: empty rotation');
    return b;
  }

  private remember(clientIp: string, backend: Backend, nowMs: number): void {
    this.affinity.delete(clientIp);
    this.affinity.set(clientIp, { backend, lastUsedMs: nowMs });
    while (this.affinity.size > MAX_AFFINITY_ENTRIES) {
      const oldest = this.affinity.keys().next().value;
      if (oldest === undefined) break;
      this.affinity.delete(oldest);
    }
  }
}

/** keyOf: "ip:port" of a backend. */
export function keyOf(b: Backend): string {
  return `${b.ip}:${b.port}`;
}

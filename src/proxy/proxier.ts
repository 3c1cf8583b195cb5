/**
 * Proxier keeps one live listener per desired frontend: opens the new ones, hands changed
 * backends to the running ones, closes the ones whose Service port went away — kube-proxy's
 * syncProxyRules, with sockets where upstream writes iptables rules.
 *
 * On the process runtime every node shares the host's network, so a ClusterIP frontend is ONE
 * socket on the host: the first node's kube-proxy to bind it serves it for every node, the others
 * find it in use (EADDRINUSE) and keep trying on each sync. Kill that kube-proxy and another
 * binds the address at its next retry (the machine retries every RETRY_MS while any frontend is
 * held elsewhere), so a Service keeps routing through a node failure. NodePorts listen on each
 * node's own address and never clash.
 */
import type { Clock } from '../base/clock.js';
import type { Frontend } from './frontends.js';
import type { RunningFrontend } from './running-frontend.js';
import { openTcpFrontend } from './tcp-frontend.js';
import { openUdpFrontend } from './udp-frontend.js';

/** SyncResult: what one sync left the node with. */
export interface SyncResult {
  /** Frontends this proxy serves. */
  serving: number;
  /** Frontends another process holds (EADDRINUSE): retried on the next sync. */
  heldElsewhere: number;
  /** Frontends that failed to open for another reason (logged), also retried. */
  failed: number;
}

/** OpenFrontend opens a listener; tests may substitute it. */
export type OpenFrontend = (f: Frontend, clock: Clock) => Promise<RunningFrontend>;

/** openFrontend: TCP or UDP by the frontend's protocol. */
export const openFrontend: OpenFrontend = (f, clock) =>
  f.protocol === 'UDP' ? openUdpFrontend(f, clock) : openTcpFrontend(f, clock);

export class Proxier {
  private readonly running = new Map<string, RunningFrontend>();
  /** Keys that failed last time with a reason other than EADDRINUSE, to log a change once. */
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    private readonly open: OpenFrontend = openFrontend,
  ) {}

  /** sync makes the listeners equal to desired. Never rejects: failures are counted. */
  async sync(desired: readonly Frontend[]): Promise<SyncResult> {
    const want = new Map(desired.map((f) => [f.key, f]));
    const closing: Promise<void>[] = [];
    for (const [key, r] of this.running) {
      if (want.has(key)) continue;
      this.running.delete(key);
      this.log(`proxy: stopped serving ${key}`);
      closing.push(r.close());
    }
    await Promise.all(closing);
    const result: SyncResult = { serving: 0, heldElsewhere: 0, failed: 0 };
    await Promise.all([...want.values()].map(async (f) => {
      const r = this.running.get(f.key);
      if (r !== undefined) {
        r.update(f);
        result.serving++;
        return;
      }
      try {
        this.running.set(f.key, await this.open(f, this.clock));
        this.lastError.delete(f.key);
        result.serving++;
        this.log(`proxy: serving ${f.key} for ${f.servicePort} (${f.backends.length} backends)`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        if (code === 'EADDRINUSE') result.heldElsewhere++;
        else result.failed++;
        if (this.lastError.get(f.key) !== code) {
          this.lastError.set(f.key, code);
          if (code !== 'EADDRINUSE') this.log(`proxy: cannot serve ${f.key} (${f.servicePort}): ${code}`);
        }
      }
    }));
    return result;
  }

  /** serving: the keys this proxy listens on now. */
  serving(): string[] {
    return [...this.running.keys()].sort();
  }

  /** close stops every listener. */
  async close(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}

import { readFile } from 'node:fs/promises';

/**
 * BenchCluster is what a replicated-log benchmark needs from a system under test, so the same
 * load and failover code runs against k8ts and against its peer, a real etcd cluster.
 */
export interface BenchCluster {
  /** Name shown in reports ("k8ts", "etcd 3.4.23"). */
  readonly label: string;
  /** Member names, e.g. ["m1","m2","m3"]. */
  readonly names: readonly string[];
  start(): Promise<void>;
  /** leader returns the member that leads now and its term, or undefined during an election. */
  leader(timeoutMs?: number): Promise<LeaderInfo | undefined>;
  /** write commits one 256-byte-class payload through member `name`; rejects on any failure. */
  write(name: string, key: string, value: Buffer, deadlineMs: number): Promise<void>;
  /** applied returns a member's applied index (for catch-up checks), undefined if it is down. */
  applied(name: string): Promise<number | undefined>;
  /** pid of a member's process, undefined if it is not running. */
  pid(name: string): number | undefined;
  kill(name: string): void;
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaderInfo {
  name: string;
  term: number;
}

/** rssBytes reads a process's resident set size from /proc (0 if it is gone). */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

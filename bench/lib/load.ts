/**
 * Closed-loop load: `inflight` writers, each sending its next write as soon as the previous one
 * commits, through one member. Latency is per write (send → committed answer).
 */
import { performance } from 'node:perf_hooks';
import type { BenchCluster } from './cluster.js';

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

export interface LoadOptions {
  inflight: number;
  warmupMs: number;
  measureMs: number;
  valueBytes: number;
  /** Member to send to; re-evaluated after errors when a function. */
  target: () => string;
  deadlineMs?: number;
  /** Stop early when this returns true (checked between writes). */
  stop?: () => boolean;
}

export async function closedLoop(c: BenchCluster, opts: LoadOptions, run: string): Promise<LoadResult> {
  const value = Buffer.alloc(opts.valueBytes, 0x61);
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.measureMs;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; performance.now() < end && !opts.stop?.(); i++) {
      const t0 = performance.now();
      try {
        await c.write(opts.target(), `/bench/${run}/${w}/${i}`, value, opts.deadlineMs ?? 5000);
        const t1 = performance.now();
        if (t0 >= measureFrom && t1 <= end) {
          ops++;
          latencies.push(t1 - t0);
        }
      } catch {
        errors++;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inflight }, (_, w) => worker(w)));
  return { ops, errors, seconds: opts.measureMs / 1000, latenciesMs: latencies };
}

/**
 * Open-loop load at a fixed arrival rate: request i is due at start + i/rate whatever happened to
 * the requests before it, and its latency runs from that due time, not from when it actually left
 * — so a stalled server (or a stalled client event loop) shows up in the percentiles instead of
 * quietly lowering the rate (no coordinated omission). In-flight requests are capped: a request
 * due while the cap is reached is dropped and counted, so an overloaded system cannot pile up
 * unbounded work in either process.
 */
import { performance } from 'node:perf_hooks';
import { errorCode } from './api-client.js';
import { sleep } from './cluster.js';

export interface OpenLoopOptions {
  ratePerSec: number;
  /** Requests due in the warm-up are sent but not recorded. */
  warmupMs: number;
  measureMs: number;
  maxInflight: number;
  /** op sends request i and resolves with its HTTP status (rejects on a transport failure). */
  op: (i: number) => Promise<number>;
  /** Called when the measured window opens and when its last request is due. */
  onWindow?: (edge: 'start' | 'end') => void;
}

export interface OpenLoopResult {
  /** Requests due in the measured window. */
  due: number;
  /** Latencies (due time → complete answer) of the 2xx answers, in ms, ascending. */
  latenciesMs: number[];
  /** Non-2xx answers and transport failures by HTTP status or error code. */
  errors: Map<string, number>;
  /** Requests not sent because maxInflight were outstanding. */
  dropped: number;
  seconds: number;
}

/** The scheduler never sleeps longer than this, so a burst of due requests is sent promptly. */
const MAX_SLEEP_MS = 5;

/** openLoop runs one step and resolves when every sent request has answered or failed. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(o.ratePerSec > 0) || o.maxInflight < 1) {
    throw new Error('openLoop: rate and maxInflight must be positive');
  }
  const intervalMs = 1000 / o.ratePerSec;
  const total = Math.floor(((o.warmupMs + o.measureMs) / 1000) * o.ratePerSec);
  const firstMeasured = Math.ceil((o.warmupMs / 1000) * o.ratePerSec);
  const out: OpenLoopResult = {
    due: 0, latenciesMs: [], errors: new Map(), dropped: 0, seconds: o.measureMs / 1000,
  };
  const pending = new Set<Promise<void>>();
  const startMs = performance.now();
  let next = 0;
  while (next < total) {
    const nowMs = performance.now();
    for (; next < total && startMs + next * intervalMs <= nowMs; next++) {
      const measured = next >= firstMeasured;
      if (next === firstMeasured) o.onWindow?.('start');
      if (measured) out.due++;
      if (pending.size >= o.maxInflight) {
        if (measured) out.dropped++;
        continue;
      }
      const p = send(o, next, startMs + next * intervalMs, measured ? out : undefined);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    if (next < total) {
      const untilDueMs = startMs + next * intervalMs - performance.now();
      await sleep(Math.min(MAX_SLEEP_MS, Math.max(0, untilDueMs)));
    }
  }
  o.onWindow?.('end');
  await Promise.all(pending);
  out.latenciesMs.sort((a, b) => a - b);
  return out;
}

/** send runs request i and records it into out (undefined: a warm-up request). */
async function send(
  o: OpenLoopOptions,
  i: number,
  dueMs: number,
  out: OpenLoopResult | undefined,
): Promise<void> {
  let code: string;
  try {
    const status = await o.op(i);
    if (status >= 200 && status < 300) {
      out?.latenciesMs.push(performance.now() - dueMs);
      return;
    }
    code = String(status);
  } catch (err) {
    code = errorCode(err);
  }
  out?.errors.set(code, (out.errors.get(code) ?? 0) + 1);
}

/** errorSum counts all errors of a result. */
export function errorSum(errors: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of errors.values()) n += v;
  return n;
}

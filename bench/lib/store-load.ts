/**
 * Load shapes of the store benchmark, the same for every system:
 *  - closedLoop: N requests in flight, each followed at once by the next, for a warm-up and a
 *    measured window; ops/s counts completions inside the window, latency is send → answer;
 *  - watchDelivery: one watcher on a follower, W writers through the leader; latency is Put sent →
 *    its event received by the watcher.
 * The measured window is defined by its CPU samples (members, this process, the machine), so
 * "server CPU per op" divides CPU and ops counted over exactly the same interval.
 * Every loop is bounded by time, every request by a deadline, every wait by a timeout.
 */
import * as grpc from '@grpc/grpc-js';
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { WatchRequest, WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { sleep } from './cluster.js';
import type { StoreEndpoint } from './store-endpoint.js';
import { cpuBetween, sampleCpu, type CpuSample, type CpuWindow } from './store-proc.js';

/** Pause after a failed request, so a broken system cannot turn the loop into a busy spin. */
const ERROR_PAUSE_MS = 5;

export interface Measured {
  ops: number;
  /** Failed requests during the whole run (warm-up included). */
  errors: number;
  firstError: string | undefined;
  seconds: number;
  latenciesMs: number[];
  cpu: CpuWindow & ClientGc;
}

/** ClientGc: this process's (the load client's) GC pauses inside the window, summed and the
 *  longest: a pause of the one client stalls all in-flight requests of either system alike, and
 *  a run with long ones is a different run. */
export interface ClientGc {
  clientGcMs: number;
  clientGcMaxMs: number;
  /** Pauses by kind: young-generation scavenges, and the rest (mark-compact, incremental
   *  marking steps, weak callbacks). Counts survive a noisy box; pause times do not. */
  clientMinorGcs: number;
  clientMajorGcs: number;
  clientMajorGcMs: number;
}

/** NODE_PERFORMANCE_GC_MINOR (perf_hooks constants): a scavenge. */
const GC_MINOR = 1;

export interface WindowOptions {
  warmupMs: number;
  measureMs: number;
  /** Member pids whose CPU is charged to the system (sampled at both window edges). */
  pids: readonly number[];
}

/** MeasureWindow opens and closes on timers; its edges are the CPU samples' times. */
export class MeasureWindow {
  fromMs = Infinity;
  toMs = Infinity;
  readonly plannedEndMs: number;
  private from: CpuSample | undefined;
  private to: CpuSample | undefined;
  private readonly closed: Promise<void>;
  private readonly gc: ClientGc = { clientGcMs: 0, clientGcMaxMs: 0, clientMinorGcs: 0, clientMajorGcs: 0, clientMajorGcMs: 0 };
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!this.contains(e.startTime)) continue;
      this.gc.clientGcMs += e.duration;
      this.gc.clientGcMaxMs = Math.max(this.gc.clientGcMaxMs, e.duration);
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === GC_MINOR) this.gc.clientMinorGcs++;
      else {
        this.gc.clientMajorGcs++;
        this.gc.clientMajorGcMs += e.duration;
      }
    }
  });

  constructor(private readonly opts: WindowOptions) {
    this.gcObserver.observe({ entryTypes: ['gc'] });
    const startMs = performance.now();
    this.plannedEndMs = startMs + opts.warmupMs + opts.measureMs;
    setTimeout(() => {
      this.from = sampleCpu(opts.pids);
      this.fromMs = this.from.atMs;
    }, opts.warmupMs);
    this.closed = new Promise((resolve) => setTimeout(() => {
      this.to = sampleCpu(opts.pids);
      this.toMs = this.to.atMs;
      resolve();
    }, opts.warmupMs + opts.measureMs));
  }

  contains(atMs: number): boolean {
    return atMs >= this.fromMs && atMs <= this.toMs;
  }

  running(): boolean {
    return performance.now() < this.plannedEndMs;
  }

  /** done waits for the closing sample and returns the CPU spent inside the window. */
  async done(): Promise<CpuWindow & ClientGc> {
    await this.closed;
    // GC entries are delivered asynchronously: one more turn, then stop observing.
    await new Promise((resolve) => setImmediate(resolve));
    this.gcObserver.disconnect();
    return { ...cpuBetween(this.from!, this.to!), ...this.gc };
  }
}

export interface LoopOptions extends WindowOptions {
  inflight: number;
  /** One request of worker w, its i-th; rejects on failure. */
  op(w: number, i: number): Promise<unknown>;
  /** The window to count in (created from the options when absent). */
  window?: MeasureWindow;
}

export async function closedLoop(opts: LoopOptions): Promise<Measured> {
  const win = opts.window ?? new MeasureWindow(opts);
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; win.running(); i++) {
      const t0 = performance.now();
      try {
        await opts.op(w, i);
        const t1 = performance.now();
        if (win.contains(t1)) latenciesMs.push(t1 - t0);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        await sleep(ERROR_PAUSE_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inflight }, (_, w) => worker(w)));
  const cpu = await win.done();
  return { ops: latenciesMs.length, errors, firstError, seconds: cpu.seconds, latenciesMs, cpu };
}

export interface WatchOptions extends WindowOptions {
  watcher: StoreEndpoint;
  writer: StoreEndpoint;
  writers: number;
  /** Key prefix of this test (ends with '/'); the watch covers exactly it. */
  prefix: string;
  value: Buffer;
  /** How long to wait for the events of acknowledged Puts after the window. */
  graceMs?: number;
}

export interface WatchMeasured {
  puts: Measured;
  /** Put sent → event received, for events received inside the window. */
  deliveryMs: number[];
  /** Acknowledged Puts whose event never arrived (within the grace time). */
  missed: number;
}

/** watchDelivery measures how long a Put takes to reach a watcher on another member. */
export async function watchDelivery(opts: WatchOptions): Promise<WatchMeasured> {
  const sentAt = new Map<string, number>();
  const seen = new Set<string>();
  const acked: string[] = [];
  const deliveryMs: number[] = [];
  // The window opens first; creating the watch takes a few ms of its warm-up.
  const win = new MeasureWindow(opts);
  const stream = await openWatch(opts.watcher, opts.prefix, (res) => {
    const at = performance.now();
    for (const ev of res.events) {
      const key = ev.kv?.key.toString('latin1');
      if (key === undefined) continue;
      seen.add(key);
      const t0 = sentAt.get(key);
      if (t0 === undefined) continue;
      sentAt.delete(key);
      if (win.contains(at)) deliveryMs.push(at - t0);
    }
  });
  try {
    const puts = await closedLoop({
      ...opts,
      inflight: opts.writers,
      window: win,
      op: async (w, i) => {
        const key = `${opts.prefix}${w}/${i}`;
        sentAt.set(key, performance.now());
        await opts.writer.put(Buffer.from(key, 'latin1'), opts.value);
        acked.push(key);
      },
    });
    const graceEnd = performance.now() + (opts.graceMs ?? 3_000);
    while (acked.some((k) => !seen.has(k)) && performance.now() < graceEnd) await sleep(50);
    return { puts, deliveryMs, missed: acked.filter((k) => !seen.has(k)).length };
  } finally {
    stream.cancel();
  }
}

/** Time allowed for a watch to be created (the first response, created=true). */
const WATCH_CREATE_MS = 5_000;

/** openWatch opens a Watch stream on the prefix (with `hasleader`, as kube-apiserver does) and
 *  resolves once the server confirmed the watch. */
function openWatch(ep: StoreEndpoint, prefix: string, onResponse: (res: WatchResponse) => void): Promise<grpc.ClientDuplexStream<WatchRequest, WatchResponse>> {
  const md = new grpc.Metadata();
  md.set('hasleader', 'true');
  const stream = ep.watch.watch(md);
  const key = Buffer.from(prefix, 'latin1');
  const rangeEnd = Buffer.from(key);
  rangeEnd[rangeEnd.length - 1]! += 1;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.cancel();
      reject(new Error(`watch on ${ep.address} not created within ${WATCH_CREATE_MS} ms`));
    }, WATCH_CREATE_MS);
    let created = false;
    stream.on('data', (res: WatchResponse) => {
      if (!created && res.created) {
        created = true;
        clearTimeout(timer);
        resolve(stream);
      }
      if (res.canceled) console.error(`watch canceled by ${ep.address}: ${res.cancelReason}`);
      onResponse(res);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.CANCELLED) return;
      clearTimeout(timer);
      if (created) console.error(`watch stream on ${ep.address} failed: ${err.message}`);
      else reject(err);
    });
    stream.write({
      requestUnion: {
        $case: 'createRequest',
        value: { key, rangeEnd, startRevision: 0n, progressNotify: false, filters: [], prevKv: false, watchId: 0n, fragment: false },
      },
    });
  });
}

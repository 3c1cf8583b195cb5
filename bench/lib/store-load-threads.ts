/**
 * threadedPuts: the closed loop of Puts spread over several worker threads, each with its own
 * HTTP/2 connection to the same endpoint, as etcd's own `benchmark` tool spreads its load over
 * many clients. With one thread the load generator is one Node event loop: at 256 in flight on
 * this 2-core machine it spends ~0.85 of a core and can be what bounds both systems, so the
 * 256 comparison would measure the client. Threads share this process, so the report's client
 * CPU (this process, all threads) stays comparable.
 */
import { Worker } from 'node:worker_threads';
import { MeasureWindow, type Measured, type WindowOptions } from './store-load.js';
import type { PutWorkerJob, PutWorkerResult } from './store-put-worker.js';

export interface ThreadedPutOptions extends WindowOptions {
  address: string;
  inflight: number;
  threads: number;
  /** Key prefix (ends with '/'); each thread writes under its own sub-prefix. */
  prefix: string;
  value: Buffer;
  /** At most this many written keys are returned (for the read tests). */
  keepKeys: number;
}

/** A worker that neither answers nor ends within this is a failure, not a hang. */
const WORKER_TIMEOUT_MS = 30_000;

export async function threadedPuts(opts: ThreadedPutOptions): Promise<{ m: Measured; keys: Buffer[] }> {
  const boot = new URL('./ts-worker-boot.mjs', import.meta.url);
  const entry = new URL('./store-put-worker.ts', import.meta.url).href;
  const workers = Array.from({ length: opts.threads }, (_, t) => {
    const job: PutWorkerJob = {
      entry,
      address: opts.address,
      inflight: Math.floor(opts.inflight / opts.threads) + (t < opts.inflight % opts.threads ? 1 : 0),
      prefix: `${opts.prefix}t${t}/`,
      value: opts.value,
      warmupMs: opts.warmupMs,
      measureMs: opts.measureMs,
      keepKeys: Math.ceil(opts.keepKeys / opts.threads),
    };
    return new Worker(boot, { workerData: job });
  });
  try {
    await Promise.all(workers.map((w) => nextMessage(w, WORKER_TIMEOUT_MS)));
    const runMs = opts.warmupMs + opts.measureMs + WORKER_TIMEOUT_MS;
    const results = workers.map((w) => nextMessage(w, runMs) as Promise<PutWorkerResult>);
    const win = new MeasureWindow(opts);
    for (const w of workers) w.postMessage('go');
    const done = await Promise.all(results);
    const cpu = await win.done();
    const latenciesMs = done.flatMap((r) => Array.from(r.latenciesMs));
    const m: Measured = {
      ops: latenciesMs.length,
      errors: done.reduce((s, r) => s + r.errors, 0),
      firstError: done.find((r) => r.firstError !== undefined)?.firstError,
      seconds: cpu.seconds,
      latenciesMs,
      cpu,
    };
    return { m, keys: done.flatMap((r) => r.keys.map((k) => Buffer.from(k, 'latin1'))) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** nextMessage: the worker's next message; rejects on its error, early exit or timeout. */
function nextMessage(w: Worker, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`put worker silent for ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (msg: unknown): void => finish(undefined, msg);
    const onError = (e: Error): void => finish(e);
    const onExit = (code: number): void => finish(new Error(`put worker exited (${code})`));
    function finish(err: Error | undefined, msg?: unknown): void {
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (err) reject(err);
      else resolve(msg);
    }
    w.once('message', onMessage).once('error', onError).once('exit', onExit);
  });
}

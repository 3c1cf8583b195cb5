/**
 * One worker thread of threadedPuts (store-load-threads.ts): its own StoreEndpoint (its own
 * HTTP/2 connection), a closed loop of `inflight` Puts from the parent's 'go' on, its latencies
 * and the first keys it wrote posted back. Its window is its own, opened on 'go' with the
 * parent's timings: the parent's window (and CPU samples) open at the same message, so the two
 * differ by one message's delivery.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StoreEndpoint } from './store-endpoint.js';
import { closedLoop } from './store-load.js';

export interface PutWorkerJob {
  entry: string;
  address: string;
  inflight: number;
  prefix: string;
  value: Uint8Array;
  warmupMs: number;
  measureMs: number;
  keepKeys: number;
}

export interface PutWorkerResult {
  latenciesMs: Float64Array;
  errors: number;
  firstError: string | undefined;
  keys: string[];
}

const job = workerData as PutWorkerJob;
const port = parentPort!;
const ep = new StoreEndpoint(job.address);
const value = Buffer.from(job.value);
const keys: string[] = [];

// One Put before 'ready', so the connection is up before any window opens.
await ep.put(Buffer.from(`${job.prefix}ready`, 'latin1'), value);
port.postMessage('ready');
port.once('message', () => {
  void closedLoop({
    warmupMs: job.warmupMs,
    measureMs: job.measureMs,
    pids: [],
    inflight: job.inflight,
    op: async (w, i) => {
      const key = `${job.prefix}${w}/${i}`;
      await ep.put(Buffer.from(key, 'latin1'), value);
      if (keys.length < job.keepKeys) keys.push(key);
    },
  }).then((m) => {
    const res: PutWorkerResult = {
      latenciesMs: Float64Array.from(m.latenciesMs),
      errors: m.errors,
      firstError: m.firstError,
      keys,
    };
    port.postMessage(res, [res.latenciesMs.buffer as ArrayBuffer]);
    ep.channel.close();
  });
});

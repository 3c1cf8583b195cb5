/**
 * runShardWorkers: the seed sweeps' one way of using threads (the Raft simulator and the
 * control-plane simulator both shard seeds over workers). Each worker re-imports `module` with
 * tsx's loader registered first (workers do not inherit it from --import) and gets
 * `{...workerData, job}`; its reports go to onReport, and the first report that `fails` says is
 * a failure terminates every worker (the seed is replayed alone).
 */
import { Worker } from 'node:worker_threads';

export function runShardWorkers<R>(o: {
  module: string;
  jobs: number;
  workerData: Record<string, unknown>;
  onReport: (r: R) => void;
  fails: (r: R) => boolean;
}): Promise<void> {
  const workers: Worker[] = [];
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); ` +
    `return import(${JSON.stringify(o.module)}); });`;
  return new Promise((resolve, reject) => {
    let running = o.jobs;
    for (let job = 0; job < o.jobs; job++) {
      const w = new Worker(boot, { eval: true, workerData: { ...o.workerData, job } });
      workers.push(w);
      w.on('message', (r: R) => {
        o.onReport(r);
        if (o.fails(r)) for (const other of workers) void other.terminate();
      });
      w.on('error', reject);
      w.on('exit', () => {
        if (--running === 0) resolve();
      });
    }
  });
}

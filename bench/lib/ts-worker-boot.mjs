// Entry of the benchmarks' worker threads: a worker does not inherit the parent's `--import tsx`
// (Node 20 applies module hooks per thread), so it registers tsx itself, then loads the
// TypeScript module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);

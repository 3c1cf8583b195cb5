/**
 * The workqueue (client-go's util/workqueue): keys, not objects. Fair and stingy: adds of a key
 * already waiting collapse into one; a key is never handed to two workers at once; a key added
 * while it is processed is handed out again after done(); per-key exponential backoff plus an
 * overall token bucket for rate-limited re-adds; bounded (TigerBeetle: a limit on everything).
 */

/** WorkQueue hands keys to workers. */
export interface WorkQueue {
  /** add queues key now (no-op when already waiting; deferred when being processed). */
  add(key: string): void;
  /** addAfter queues key after delayMs on the injected clock. */
  addAfter(key: string, delayMs: number): void;
  /** addRateLimited queues key after its backoff (per-key exponential, global bucket). */
  addRateLimited(key: string): void;
  /** forget resets key's backoff (after a successful sync). */
  forget(key: string): void;
  /** numRequeues: rate-limited re-adds of key since its last forget. */
  numRequeues(key: string): number;
  /** get waits for the next key; undefined once the queue is shut down. */
  get(): Promise<string | undefined>;
  /** done marks key processed; a re-add that arrived meanwhile makes it ready again. */
  done(key: string): void;
  /** len: keys ready now (not counting delayed or processing). */
  len(): number;
  /** shutDown stops handing out keys; pending get() calls resolve undefined. */
  shutDown(): void;
}

/** RateLimiterOptions (client-go's DefaultControllerRateLimiter: 5 ms → 1000 s per key,
 *  10 qps / burst 100 overall). */
export interface RateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

/** SyncResult: nothing (done), or ask to see the key again after a delay (a deadline to check,
 *  a pod that becomes available after minReadySeconds) without counting as a failure. */
export type SyncResult = void | { requeueAfterMs: number };

/** SyncFn reconciles one key; a throw means "retry with backoff" (addRateLimited). */
export type SyncFn = (key: string) => Promise<SyncResult>;

/** WorkerOptions for runWorkers (./run-workers.ts): n workers pull from queue until signal
 *  aborts or the queue shuts down; each key: sync → forget on success, addRateLimited on error
 *  (given up and logged after maxRetries), addAfter on requeueAfterMs; always done(key). */
export interface WorkerOptions {
  queue: WorkQueue;
  sync: SyncFn;
  workers: number;
  signal: AbortSignal;
  /** Default 15 (upstream controllers' maxRetries). */
  maxRetries?: number;
  log?: (line: string) => void;
}

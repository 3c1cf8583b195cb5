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

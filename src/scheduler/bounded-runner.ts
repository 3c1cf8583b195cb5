/**
 * BoundedRunner runs background writes (binds, status patches) with at most `limit` in flight,
 * so API round trips overlap (one bind's latency does not stall the next pod's cycle) while a
 * slow API server is not buried under thousands of concurrent calls: when all slots are busy,
 * the scheduling loop waits for one before it starts the next write.
 */
import { assert } from '../base/assert.js';

/** BoundedRunner: a counting semaphore over async tasks. */
export class BoundedRunner {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    assert(Number.isInteger(limit) && limit > 0, `BoundedRunner: limit ${limit}`);
  }

  /** start waits for a free slot, then starts task (not awaited); task errors are the
   *  task's to handle — a rejection here is a programmer error and is rethrown unhandled. */
  async start(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.running++;
    void task().finally(() => {
      this.running--;
      for (const wake of this.waiters.splice(0)) wake(); // each waiter re-checks
    });
  }

  /** drain waits until no task is running. */
  async drain(): Promise<void> {
    while (this.running > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** inFlight: tasks running now. */
  get inFlight(): number {
    return this.running;
  }
}

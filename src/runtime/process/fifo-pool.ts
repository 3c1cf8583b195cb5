/**
 * A pool of ready-made FIFOs. Node cannot make a FIFO itself, and one mkfifo(1) process per
 * container costs a fork and exec on the start path (tens of ms on a loaded machine, blocking
 * the event loop when run synchronously). The pool makes them in batches with one asynchronous
 * mkfifo call and hands them out by renaming, so a burst of pod starts pays one process per
 * batch. Bounded: at most one batch is being made at a time, a batch has BATCH_SIZE pipes, and
 * batches are made only while fewer than READY_TARGET are ready. Who runs mkfifo is the
 * caller's choice (make): the runtime hands it to its spawner helpers once they run, so its
 * own event loop never waits in a fork.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** How many FIFOs one mkfifo call makes. */
export const FIFO_BATCH_SIZE = 64;
/** The pool makes batches in the background until this many FIFOs are ready: the pipes (two
 *  per container) of a 50-pod burst on one node. With one batch of 48 at a time, such a burst
 *  ran the pool dry twice and its last starts waited for a batch (p99 320–700 ms in
 *  StartContainer's pipe step on a loaded node; burst timeline). */
export const FIFO_READY_TARGET = 128;

/** FifoPool — see the file comment. */
export class FifoPool {
  private ready: string[] = [];
  private making: Promise<void> | undefined;
  private serial = 0;
  private closed = false;

  /** dir is emptied: pipes left by an earlier runtime are not trusted. make makes FIFOs at
   *  the given paths (default: mkfifo(1) forked by this process). */
  constructor(private readonly dir: string,
    private readonly make: (paths: readonly string[]) => Promise<void> = mkfifoHere) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** take moves fresh FIFOs to the given paths (replacing anything there). Below the target
   *  the pool makes batches in the background, so a burst of starts does not wait for one. */
  async take(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      while (this.ready.length === 0) await this.refill();
      const fifo = this.ready.pop();
      if (fifo !== undefined) renameSync(fifo, path);
    }
    this.topUp();
  }

  /** topUp makes batches one after another until the target is ready (a failure stops it;
   *  the next take tries again). */
  private topUp(): void {
    if (this.closed || this.ready.length >= FIFO_READY_TARGET) return;
    this.refill().then(() => this.topUp(), () => undefined);
  }

  /** close stops the topping up and waits for a batch being made (the runtime is stopping: a
   *  runtime started next on the same directory empties it, and nothing may write there then). */
  async close(): Promise<void> {
    this.closed = true;
    await this.making?.catch(() => undefined);
  }

  private refill(): Promise<void> {
    this.making ??= this.makeBatch().finally(() => { this.making = undefined; });
    return this.making;
  }

  private async makeBatch(): Promise<void> {
    const names = Array.from({ length: FIFO_BATCH_SIZE }, () => {
      this.serial += 1;
      return join(this.dir, `f${this.serial}`);
    });
    await this.make(names);
    this.ready.push(...names);
  }
}

/** mkfifoHere makes FIFOs (mode 0600) at paths with one mkfifo(1) forked by this process. */
export function mkfifoHere(paths: readonly string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile('mkfifo', ['-m', '600', ...paths], (err, _stdout, stderr) => {
      if (err) reject(new Error(`mkfifo failed: ${stderr || err.message}`));
      else resolve();
    });
  });
}

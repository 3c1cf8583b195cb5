/**
 * A pool of ready-made FIFOs. Node cannot make a FIFO itself, and one mkfifo(1) process per
 * container costs a fork and exec on the start path (tens of ms on a loaded machine, blocking
 * the event loop when run synchronously). The pool makes them in batches with one asynchronous
 * mkfifo call and hands them out by renaming, so a burst of pod starts pays one process per
 * batch. Bounded: at most one batch is being made at a time, and a batch has BATCH_SIZE pipes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** How many FIFOs one mkfifo call makes. */
export const FIFO_BATCH_SIZE = 48;

/** FifoPool — see the file comment. */
export class FifoPool {
  private ready: string[] = [];
  private making: Promise<void> | undefined;
  private serial = 0;

  /** dir is emptied: pipes left by an earlier runtime are not trusted. */
  constructor(private readonly dir: string) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** take moves fresh FIFOs to the given paths (replacing anything there). When the pool runs
   *  low it starts the next batch in the background, so a steady stream of starts never waits. */
  async take(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      while (this.ready.length === 0) await this.refill();
      const fifo = this.ready.pop();
      if (fifo !== undefined) renameSync(fifo, path);
    }
    if (this.ready.length < FIFO_BATCH_SIZE / 2) this.refill().catch(() => undefined);
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
    await new Promise<void>((resolve, reject) => {
      execFile('mkfifo', ['-m', '600', ...names], (err, _stdout, stderr) => {
        if (err) reject(new Error(`mkfifo failed: ${stderr || err.message}`));
        else resolve();
      });
    });
    this.ready.push(...names);
  }
}

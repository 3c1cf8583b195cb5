/**
 * ChangeWaiter lets a log follower sleep until its log directory changes (inotify through
 * fs.watch: an append, the rename of a rotation, the runtime creating the new file) instead of
 * polling hard, with a periodic recheck as the kubelet does (its 1 s forced check), because
 * the follower must also notice the container stopping, which touches no file. Events that
 * arrive while nobody waits are remembered, so a change between a read and the next wait is
 * not slept through.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Clock } from '../../base/clock.js';

/** DEFAULT_RECHECK_MS is the longest a follower sleeps without a file event (upstream: 1 s). */
export const DEFAULT_RECHECK_MS = 1000;

/** ChangeWaiter — see the file comment. close() it when done. */
export class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(
    directory: string,
    private readonly clock: Clock,
    private readonly recheckMs: number = DEFAULT_RECHECK_MS,
  ) {
    try {
      this.watcher = watch(directory, { persistent: false }, () => this.notify());
      this.watcher.on('error', () => this.dropWatcher());
    } catch {
      // No inotify for this directory (it vanished, or the watch limit is hit): the periodic
      // recheck alone still makes progress, only later.
      this.watcher = undefined;
    }
  }

  /** wait resolves on the next change, after recheckMs, or when signal aborts. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.changed || signal.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => done(), this.recheckMs);
      const done = (): void => {
        timer.cancel();
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** close stops watching. */
  close(): void {
    this.dropWatcher();
    this.wake?.();
  }

  private notify(): void {
    this.changed = true;
    this.wake?.();
  }

  private dropWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/**
 * ExitWatcher turns conmon's exit files into events: one inotify watch (fs.watch) on the exit
 * directory wakes whoever waits for a container's exit, instead of each waiter polling. A waiter
 * checks the file first, so an exit that happened before it started waiting is not missed.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The most waiters one container may have (stop, a second stop, attach...): a bound. */
const MAX_WAITERS_PER_CONTAINER = 64;

/** ExitWatcher watches one exit directory. */
export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(readonly exitDir: string) {}

  /** start begins watching (call once the directory exists). */
  start(): void {
    this.watcher ??= watch(this.exitDir, (_event, name) => {
      if (typeof name === 'string') void this.check(name);
    });
    this.watcher.on('error', () => undefined);
  }

  /** close stops watching; pending waiters stay pending (their owners time out). */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** hasExited says whether conmon has written the container's exit code. */
  async hasExited(id: string): Promise<boolean> {
    const text = await readFile(join(this.exitDir, id), 'utf8').catch(() => '');
    return /^-?\d+\s*$/.test(text);
  }

  /** onExit calls fn once the container's exit file holds a code (at once if it already does);
   *  returns a function that cancels the wait. */
  onExit(id: string, fn: () => void): () => void {
    const set = this.waiters.get(id) ?? new Set<() => void>();
    if (set.size >= MAX_WAITERS_PER_CONTAINER) throw new Error(`too many waiters on ${id}`);
    set.add(fn);
    this.waiters.set(id, set);
    void this.check(id);
    return () => this.drop(id, fn);
  }

  private drop(id: string, fn: () => void): void {
    const set = this.waiters.get(id);
    set?.delete(fn);
    if (set?.size === 0) this.waiters.delete(id);
  }

  private async check(id: string): Promise<void> {
    if (!this.waiters.has(id) || !(await this.hasExited(id))) return;
    const set = this.waiters.get(id);
    this.waiters.delete(id);
    for (const fn of set ?? []) fn();
  }
}

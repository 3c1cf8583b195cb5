/**
 * ExitWatcher turns conmon's exit files into events: one inotify watch (fs.watch) on the exit
 * directory wakes whoever waits for a container's exit, instead of each waiter polling. A waiter
 * checks the file first, so an exit that happened before it started waiting is not missed.
 * It also remembers which names had events, so a status read can skip the file of a container
 * whose exit file cannot have appeared (mayHaveExited).
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The most waiters one container may have (stop, a second stop, attach...): a bound. */
const MAX_WAITERS_PER_CONTAINER = 64;

/** The most names remembered as changed; beyond, "no event" stops counting as evidence. */
const MAX_CHANGED_NAMES = 100_000;

/** ExitWatcher watches one exit directory. */
export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Names that had an event since start (bounded: forget() drops removed containers). */
  private readonly changed = new Set<string>();
  /** Watching without an error since start: only then is "no event" evidence. */
  private healthy = false;
  /** Counts starts: events between a close and the next start are lost. */
  private epochCount = 0;

  constructor(readonly exitDir: string) {}

  /** start begins watching (call once the directory exists). */
  start(): void {
    if (this.watcher) return;
    this.watcher = watch(this.exitDir, (_event, name) => {
      if (typeof name !== 'string') return;
      if (this.changed.size >= MAX_CHANGED_NAMES) this.healthy = false;
      else this.changed.add(name);
      void this.check(name);
    });
    this.healthy = true;
    this.epochCount++;
    this.watcher.on('error', () => {
      this.healthy = false;
    });
  }

  /** epoch identifies the current watch (it changes at each start). */
  epoch(): number {
    return this.epochCount;
  }

  /** mayHaveExited is false only when the directory has been watched without error since
   *  epoch and no event named id arrived: its exit file cannot have been written since. */
  mayHaveExited(id: string, epoch: number): boolean {
    return !this.healthy || epoch !== this.epochCount || this.changed.has(id);
  }

  /** forget drops what the watcher remembers about a removed container. */
  forget(id: string): void {
    this.changed.delete(id);
  }

  /** close stops watching; pending waiters stay pending (their owners time out). */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.healthy = false;
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

/**
 * Small helpers for the conformance suite: a watch collector, polling, and error assertions.
 * Nothing here knows which store is under test.
 */
import assert from 'node:assert/strict';
import { EtcdClientError, type WatchBatch, type WatchEvent, type Watcher } from '../../../src/store/client/index.js';

/** waitUntil polls cond every 25 ms until it returns a value other than undefined/false. */
export async function waitUntil<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() - start > timeoutMs) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collector records everything a watcher delivers. */
export class Collector {
  readonly batches: WatchBatch[] = [];
  error: EtcdClientError | undefined;
  ended = false;

  constructor(readonly watcher: Watcher) {
    watcher.subscribe(
      (b) => this.batches.push(b),
      (e) => {
        this.error = e;
        this.ended = true;
      },
    );
  }

  /** events are all delivered events, in order. */
  events(): WatchEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  eventBatches(): WatchBatch[] {
    return this.batches.filter((b) => !b.progress);
  }

  /** untilEvents waits until at least n events arrived. */
  untilEvents(n: number, timeoutMs = 10_000): Promise<WatchEvent[]> {
    return waitUntil(`${n} watch events (have ${this.events().length})`, () => {
      if (this.ended && this.error) throw this.error;
      return this.events().length >= n && this.events();
    }, timeoutMs);
  }

  untilEnded(timeoutMs = 10_000): Promise<EtcdClientError | undefined> {
    return waitUntil('the watch to end', () => this.ended && { error: this.error }, timeoutMs).then((x) => x.error);
  }
}

/** rejectsWith asserts that p rejects with an EtcdClientError of `kind` and, when given, the
 *  exact etcd message text. */
export async function rejectsWith(p: Promise<unknown>, kind: string, message?: string): Promise<EtcdClientError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EtcdClientError, `expected EtcdClientError, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind of "${e.message}"`);
    if (message !== undefined) assert.equal(e.message, message);
    return e;
  }
  assert.fail(`expected a rejection of kind ${kind}`);
}

/** keysOf renders keys of kvs or events as strings. */
export function keysOf(xs: readonly { key: Buffer }[]): string[] {
  return xs.map((x) => x.key.toString());
}

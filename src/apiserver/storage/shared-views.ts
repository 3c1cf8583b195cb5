/**
 * One event, many watchers: the watch cache hands every watcher of an event the same cached
 * object, so what each watcher derives from it — the typed object, its JSON — is computed once
 * and shared by identity instead of once per watcher. Watchers of one event are served within
 * the same turn of the event loop, so a small memo of the most recent objects catches them; it
 * is bounded, and it never keeps an object alive for longer than MEMO_ENTRIES newer ones.
 *
 * Shared values must never be changed: the cache's objects are immutable by contract (see
 * WatchCache.peek), and so are these views of them.
 */

/** Objects remembered per memo (events of one batch × the views each needs, with room). */
const MEMO_ENTRIES = 256;

/** RecentMemo maps recently seen objects to a value derived from them, oldest evicted first. */
export class RecentMemo<V> {
  private readonly entries = new Map<object, V>();

  constructor(private readonly capacity = MEMO_ENTRIES) {}

  /** get returns make(key)'s value, computed once while key stays among the recent ones. */
  get(key: object, make: (key: object) => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = make(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }
}

const objectJson = new RecentMemo<string>();
const objectJsonBytes = new RecentMemo<Buffer>();

/** sharedJson is JSON.stringify(obj), computed once for all watchers of the same object. */
export function sharedJson(obj: object): string {
  return objectJson.get(obj, stringify);
}

/** sharedJsonBytes is sharedJson(obj) as UTF-8 bytes, shared the same way (never change them). */
export function sharedJsonBytes(obj: object): Buffer {
  return objectJsonBytes.get(obj, utf8Json);
}

function stringify(obj: object): string {
  return JSON.stringify(obj);
}

function utf8Json(obj: object): Buffer {
  return Buffer.from(sharedJson(obj), 'utf8');
}

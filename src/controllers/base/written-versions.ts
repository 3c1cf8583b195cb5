/**
 * WrittenVersions remembers what a controller wrote until its informer shows it (upstream's
 * EndpointSliceTracker and staleEndpointsTracker): after a create, update or delete, a sync
 * that re-reads the cache before the watch delivered the write would act on a stale view —
 * create a second slice, or update from an old resourceVersion and conflict. stale() tells the
 * sync to wait instead. Entries leave once the cache has caught up, or after a TTL so a lost
 * event can never hold a key back for good.
 */
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { KubeObject } from '../../api/meta.js';

/** WRITTEN_TTL_MS: after this long an unconfirmed write no longer marks the cache stale. */
export const WRITTEN_TTL_MS = 60 * 1000;

/** WRITTEN_PER_KEY_MAX bounds remembered writes per controller key (slices of one Service). */
export const WRITTEN_PER_KEY_MAX = 10_000;

interface Written {
  /** The resourceVersion written, or undefined for a delete. */
  resourceVersion: string | undefined;
  atMs: number;
}

/** WrittenVersions tracks, per controller key, object name → the write not yet observed. */
export class WrittenVersions {
  private readonly byKey = new Map<string, Map<string, Written>>();

  constructor(private readonly clock: Clock) {}

  /** wrote records a create or update that returned obj. */
  wrote(key: string, obj: KubeObject): void {
    this.put(key, obj.metadata.name ?? '', obj.metadata.resourceVersion);
  }

  /** deleted records that name was deleted (or found already gone). */
  deleted(key: string, name: string): void {
    this.put(key, name, undefined);
  }

  private put(key: string, name: string, resourceVersion: string | undefined): void {
    assert(name !== '', 'written-versions: object without a name');
    let m = this.byKey.get(key);
    if (m === undefined) this.byKey.set(key, (m = new Map()));
    m.set(name, { resourceVersion, atMs: this.clock.nowMs() });
    assert(m.size <= WRITTEN_PER_KEY_MAX, `written-versions: ${key} holds too many writes`);
  }

  /**
   * stale: the cache (lookup by name) does not yet show a write made for key. Writes the cache
   * reflects (or that expired) are forgotten on the way.
   */
  stale(key: string, lookup: (name: string) => KubeObject | undefined): boolean {
    const m = this.byKey.get(key);
    if (m === undefined) return false;
    const nowMs = this.clock.nowMs();
    let isStale = false;
    for (const [name, w] of m) {
      if (nowMs - w.atMs > WRITTEN_TTL_MS || caughtUp(lookup(name), w)) m.delete(name);
      else isStale = true;
    }
    if (m.size === 0) this.byKey.delete(key);
    return isStale;
  }

  /** deletionObserved: the informer saw name deleted, so nothing written to it can still be on
   *  its way (someone else deleted what we wrote: wait no longer for it to appear). */
  deletionObserved(key: string, name: string): void {
    const m = this.byKey.get(key);
    if (m === undefined) return;
    m.delete(name);
    if (m.size === 0) this.byKey.delete(key);
  }

  /** forget drops everything about key (its Service is gone). */
  forget(key: string): void {
    this.byKey.delete(key);
  }
}

function caughtUp(cached: KubeObject | undefined, w: Written): boolean {
  if (w.resourceVersion === undefined) return cached === undefined;
  if (cached === undefined) return false;
  return !olderThan(cached.metadata.resourceVersion ?? '', w.resourceVersion);
}

/** olderThan compares resourceVersions as k8ts writes them (decimal store revisions); anything
 *  else is opaque and compares equal, so a foreign format can never wedge a controller. */
function olderThan(a: string, b: string): boolean {
  if (!/^[0-9]+$/.test(a) || !/^[0-9]+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

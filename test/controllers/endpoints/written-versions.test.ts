/**
 * WrittenVersions (shared by the Endpoints and EndpointSlice shells): a cache that has not yet
 * seen a write is stale; caught-up writes are forgotten; a TTL ends the wait.
 */
import assert from 'node:assert/strict';
import type { Clock } from '../../../src/base/clock.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { WRITTEN_TTL_MS, WrittenVersions } from '../../../src/controllers/base/written-versions.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let nowMs = 0;
  return {
    nowMs: () => nowMs,
    setTimeout: () => ({ cancel: () => {} }),
    setInterval: () => ({ cancel: () => {} }),
    advance: (ms) => { nowMs += ms; },
  };
}

const obj = (name: string, rv: string): KubeObject =>
  ({ metadata: { name, resourceVersion: rv } });

describe('written versions', () => {
  it('stale until the cache shows the written resourceVersion or newer', () => {
    const w = new WrittenVersions(manualClock());
    w.wrote('ns/web', obj('web-1', '20'));
    const cache = new Map<string, KubeObject>();
    const lookup = (n: string) => cache.get(n);
    assert.equal(w.stale('ns/web', lookup), true, 'not in the cache yet');
    cache.set('web-1', obj('web-1', '19'));
    assert.equal(w.stale('ns/web', lookup), true, 'an older version');
    cache.set('web-1', obj('web-1', '21'));
    assert.equal(w.stale('ns/web', lookup), false);
    cache.set('web-1', obj('web-1', '19'));
    assert.equal(w.stale('ns/web', lookup), false, 'caught up once: forgotten');
    assert.equal(w.stale('ns/other', lookup), false);
  });

  it('a delete is stale while the cache still has the object; a TTL ends any wait', () => {
    const clock = manualClock();
    const w = new WrittenVersions(clock);
    const cache = new Map<string, KubeObject>([['web', obj('web', '5')]]);
    w.deleted('ns/web', 'web');
    assert.equal(w.stale('ns/web', (n) => cache.get(n)), true);
    cache.delete('web');
    assert.equal(w.stale('ns/web', (n) => cache.get(n)), false);
    w.wrote('ns/web', obj('web', '30'));
    clock.advance(WRITTEN_TTL_MS + 1);
    assert.equal(w.stale('ns/web', () => undefined), false);
    w.wrote('ns/web', obj('web', '31'));
    w.deletionObserved('ns/web', 'web');
    assert.equal(w.stale('ns/web', () => undefined), false, 'someone else deleted it');
  });
});

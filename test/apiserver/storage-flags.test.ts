/**
 * kube-apiserver's storage flags as k8ts reads them: --watch-cache-sizes over the default
 * "events#0", and --event-ttl as a Go duration.
 */
import assert from 'node:assert/strict';
import {
  parseDurationSeconds,
  uncachedPrefixes,
} from '../../src/apiserver/storage-flags.js';

describe('apiserver storage flags', () => {
  it('--watch-cache-sizes: Events are uncached by default; #0 turns a cache off, #N on', () => {
    assert.deepEqual([...uncachedPrefixes(undefined)], ['/registry/events/']);
    assert.deepEqual([...uncachedPrefixes('')], ['/registry/events/']);
    assert.deepEqual([...uncachedPrefixes('events#100')], []);
    const both = uncachedPrefixes('configmaps#0, leases.coordination.k8s.io#0');
    assert.deepEqual([...both].sort(),
      ['/registry/configmaps/', '/registry/events/', '/registry/leases/']);
  });

  it('--watch-cache-sizes refuses malformed entries and resources not served', () => {
    assert.throws(() => uncachedPrefixes('events'), /not resource\[\.group\]#size/);
    assert.throws(() => uncachedPrefixes('events#-1'), /not resource\[\.group\]#size/);
    assert.throws(() => uncachedPrefixes('widgets#0'), /no such resource/);
    assert.throws(() => uncachedPrefixes('leases#0'), /no such resource/, 'leases: with group');
  });

  it('--event-ttl reads Go durations in whole seconds', () => {
    assert.equal(parseDurationSeconds('--event-ttl', '1h'), 3600);
    assert.equal(parseDurationSeconds('--event-ttl', '1h30m0s'), 5400);
    assert.equal(parseDurationSeconds('--event-ttl', '45s'), 45);
    for (const bad of ['', '0s', '1d', '10', 'h', '1.5h']) {
      assert.throws(() => parseDurationSeconds('--event-ttl', bad), /positive duration/, bad);
    }
  });
});

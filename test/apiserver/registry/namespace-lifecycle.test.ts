/**
 * NamespaceLifecycle: a create's namespace check reads the watch cache and asks the store only
 * when the cache cannot vouch (not cached, cached as terminating, or deleted through this server
 * within 30 s) — and the store's answer is the one that counts.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { NamespaceLifecycle } from '../../../src/apiserver/registry/namespace-lifecycle.js';
import type { Storage } from '../../../src/apiserver/storage/types.js';
import { rejection } from '../../support/status.js';

function namespace(name: string, terminating = false): KubeObject {
  const metadata = { name, ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) };
  return { apiVersion: 'v1', kind: 'Namespace', metadata };
}

/** fakeStorage: `cached` is the watch cache, `stored` the store; gets are counted. */
function fakeStorage(cached: Map<string, KubeObject>, stored: Map<string, KubeObject>) {
  const counts = { gets: 0 };
  const storage = {
    peekCached: (key: string) => cached.get(key),
    get: (key: string) => {
      counts.gets++;
      return Promise.resolve(stored.get(key));
    },
  } as unknown as Storage;
  return { storage, counts };
}

const KEY = '/registry/namespaces/a';

describe('namespace lifecycle admission', () => {
  it('a live cached namespace costs no store read', async () => {
    const both = new Map([[KEY, namespace('a')]]);
    const { storage, counts } = fakeStorage(both, both);
    await new NamespaceLifecycle(storage, () => 0).requireLive('a');
    assert.equal(counts.gets, 0);
  });

  it('not cached: the store decides (one just made through another server passes)', async () => {
    const { storage, counts } = fakeStorage(new Map(), new Map([[KEY, namespace('a')]]));
    await new NamespaceLifecycle(storage, () => 0).requireLive('a');
    assert.equal(counts.gets, 1);
    const none = fakeStorage(new Map(), new Map());
    const err = await rejection(new NamespaceLifecycle(none.storage, () => 0).requireLive('a'));
    assert.equal(err.code, 404);
  });

  it('cached as terminating: the store decides (it may have been recreated)', async () => {
    const cached = new Map([[KEY, namespace('a', true)]]);
    const live = fakeStorage(cached, new Map([[KEY, namespace('a')]]));
    await new NamespaceLifecycle(live.storage, () => 0).requireLive('a');
    assert.equal(live.counts.gets, 1);
    const gone = fakeStorage(cached, new Map([[KEY, namespace('a', true)]]));
    const err = await rejection(new NamespaceLifecycle(gone.storage, () => 0).requireLive('a'));
    assert.equal(err.code, 403);
    assert.equal(err.status.details?.causes?.[0]?.reason, 'NamespaceTerminating');
  });

  it('deleted through this server: the store decides for 30 s', async () => {
    let now = 1_000;
    const cached = new Map([[KEY, namespace('a')]]);
    const { storage, counts } = fakeStorage(cached, new Map([[KEY, namespace('a', true)]]));
    const lifecycle = new NamespaceLifecycle(storage, () => now);
    lifecycle.deleted('a');
    const err = await rejection(lifecycle.requireLive('a'));
    assert.equal(err.code, 403);
    now += 29_999;
    await rejection(lifecycle.requireLive('a'));
    assert.equal(counts.gets, 2);
    now += 1;
    await lifecycle.requireLive('a');
    assert.equal(counts.gets, 2);
  });
});

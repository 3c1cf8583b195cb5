/**
 * Keys, the indexer, listers, and the informer over a scripted API (no server): paged list, watch
 * from the list's revision, re-watch after a clean end, relist after 410 with synthesized
 * deletes and updates, backoff after other errors, replayed adds, resync.
 */
import assert from 'node:assert/strict';
import { gone, StatusError } from '../../../src/api/errors.js';
import { tooLargeResourceVersion } from '../../../src/apiserver/storage/storage-errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { AssertionError } from '../../../src/base/assert.js';
import { Prng } from '../../../src/base/prng.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import { Indexer } from '../../../src/client/cache/indexer.js';
import { SharedInformer } from '../../../src/client/cache/informer.js';
import { keyOf, splitKey } from '../../../src/client/cache/keys.js';
import { CacheLister } from '../../../src/client/cache/lister.js';
import { NAMESPACE_INDEX, type EventHandlers } from '../../../src/client/cache/types.js';
import { SimClock } from '../../../src/sim/clock.js';
import { cm, ev, page, ScriptedApi } from './fake-api.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

function tag(o: KubeObject): string {
  return `${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`;
}

function recorder(out: string[]): EventHandlers<KubeObject> {
  return {
    add: (o) => out.push(`add ${tag(o)}`),
    update: (a, b) => out.push(`update ${tag(a)}->${tag(b)}`),
    delete: (o) => out.push(`delete ${tag(o)}`),
  };
}

/** turn lets pending promise chains run (a few macrotask turns). */
async function turn(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function newInformer(s: ScriptedApi, clock = new SimClock()): SharedInformer<KubeObject> {
  return new SharedInformer(CONFIGMAPS, {}, { api: s.api, clock, prng: new Prng(7),
    log: () => {} });
}

describe('cache keys', () => {
  it('keyOf and splitKey round-trip namespaced and cluster-scoped objects', () => {
    assert.equal(keyOf(cm('a', '1')), 'default/a');
    assert.deepEqual(splitKey('default/a'), { namespace: 'default', name: 'a' });
    const node = { metadata: { name: 'n1' } };
    assert.equal(keyOf(node), 'n1');
    assert.deepEqual(splitKey('n1'), { namespace: undefined, name: 'n1' });
    assert.throws(() => splitKey('a/b/c'), AssertionError);
    assert.throws(() => keyOf({ metadata: {} }), AssertionError);
  });
});

describe('indexer and lister', () => {
  it('lists by namespace and label selector, keeps custom indexes in step with updates', () => {
    const idx = new Indexer<KubeObject>();
    idx.addIndex('app', (o) => [o.metadata.labels?.app ?? '']);
    idx.upsert(cm('a', '1', { app: 'web' }));
    idx.upsert(cm('b', '1', { app: 'db' }));
    idx.upsert(cm('c', '1', { app: 'web' }, 'other'));
    const l = new CacheLister(idx);
    assert.deepEqual(l.list('default').map(tag).sort(), ['a@1', 'b@1']);
    assert.deepEqual(l.list(undefined, 'app=web').map(tag).sort(), ['a@1', 'c@1']);
    assert.deepEqual(l.list('default', 'app!=web').map(tag), ['b@1']);
    assert.deepEqual(l.byIndex('app', 'web').map(tag).sort(), ['a@1', 'c@1']);
    idx.upsert(cm('a', '2', { app: 'db' }));
    assert.deepEqual(l.byIndex('app', 'web').map(tag), ['c@1']);
    assert.deepEqual(l.byIndex('app', 'db').map(tag).sort(), ['a@2', 'b@1']);
    idx.remove('other/c');
    assert.deepEqual(l.byIndex(NAMESPACE_INDEX, 'other'), []);
    assert.equal(l.get('default', 'a')?.metadata.resourceVersion, '2');
    assert.equal(l.get('default', 'zz'), undefined);
    assert.throws(() => l.byIndex('nope', 'x'), AssertionError);
  });

  it('an update that keeps an object\'s index values serves the new version by index', () => {
    const idx = new Indexer<KubeObject>();
    idx.addIndex('app', (o) => [o.metadata.labels?.app ?? '']);
    idx.upsert(cm('a', '1', { app: 'web' }));
    idx.upsert(cm('a', '2', { app: 'web' }));
    assert.deepEqual(idx.byIndex('app', 'web').map(tag), ['a@2']);
    assert.deepEqual(idx.byIndex(NAMESPACE_INDEX, 'default').map(tag), ['a@2']);
  });

  it('multi-valued indexes: reordered, repeated and dropped values leave no stale entries', () => {
    const idx = new Indexer<KubeObject>();
    // Values from a comma-separated label, in its order, repeats kept.
    idx.addIndex('tags', (o) => (o.metadata.labels?.tags ?? '').split(',').filter((t) => t !== ''));
    const byTag = (t: string) => idx.byIndex('tags', t).map(tag);
    idx.upsert(cm('a', '1', { tags: 'x,y' }));
    idx.upsert(cm('a', '2', { tags: 'y,x' }));
    assert.deepEqual([byTag('x'), byTag('y')], [['a@2'], ['a@2']]);
    idx.upsert(cm('a', '3', { tags: 'y,y' }));
    assert.deepEqual([byTag('x'), byTag('y')], [[], ['a@3']]);
    idx.upsert(cm('b', '1', { tags: 'y' }));
    idx.upsert(cm('a', '4', { tags: 'z' }));
    assert.deepEqual([byTag('y'), byTag('z')], [['b@1'], ['a@4']]);
    idx.remove('default/a');
    idx.remove('default/b');
    assert.deepEqual([byTag('x'), byTag('y'), byTag('z')], [[], [], []]);
  });

  it('an index added later is built over the objects already cached', () => {
    const idx = new Indexer<KubeObject>();
    idx.upsert(cm('a', '1', { app: 'web' }));
    idx.addIndex('app', (o) => [o.metadata.labels?.app ?? '']);
    assert.deepEqual(idx.byIndex('app', 'web').map(tag), ['a@1']);
  });
});

describe('informer over a scripted API', () => {
  let inf: SharedInformer<KubeObject> | undefined;
  afterEach(async () => {
    await inf?.stop();
    inf = undefined;
  });

  it('lists in pages of 500, watches from the list revision, calls handlers in order',
    async () => {
      const s = new ScriptedApi();
      s.lists = [[page('10', [cm('a', '5')], 'next'), page('10', [cm('b', '6')])]];
      s.watches = [{ events: [ev('ADDED', cm('c', '11')), ev('MODIFIED', cm('a', '12')),
        ev('DELETED', cm('b', '13'))], end: 'open' }];
      inf = newInformer(s);
      const seen: string[] = [];
      inf.addHandlers(recorder(seen));
      inf.start();
      await inf.whenSynced();
      await turn();
      assert.deepEqual(s.listCalls.map((o) => [o.limit, o.continue]), [[500, ''], [500, 'next']]);
      assert.equal(s.watchCalls[0]?.resourceVersion, '10');
      assert.equal(s.watchCalls[0]?.allowWatchBookmarks, true);
      assert.deepEqual(seen, ['add a@5', 'add b@6', 'add c@11', 'update a@5->a@12',
        'delete b@13']);
      assert.deepEqual(inf.lister.list().map(tag).sort(), ['a@12', 'c@11']);
      assert.equal(inf.lastSyncResourceVersion(), '13');
      assert.equal(inf.hasSynced(), true);
    });

  it('with dropManagedFields, listed and watched objects are cached without managedFields',
    async () => {
      const managed = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata,
        managedFields: [{ manager: 'm', operation: 'Update' }] } });
      const s = new ScriptedApi();
      s.lists = [[page('10', [managed(cm('a', '5'))])]];
      s.watches = [{ events: [ev('ADDED', managed(cm('c', '11'))),
        ev('MODIFIED', managed(cm('a', '12')))], end: 'open' }];
      inf = new SharedInformer(CONFIGMAPS, {}, { api: s.api, clock: new SimClock(),
        prng: new Prng(7), log: () => {}, dropManagedFields: true });
      const seen: KubeObject[] = [];
      inf.addHandlers({ add: (o) => seen.push(o), update: (_a, b) => seen.push(b) });
      inf.start();
      await inf.whenSynced();
      await turn();
      assert.deepEqual(seen.map(tag), ['a@5', 'c@11', 'a@12']);
      for (const o of [...seen, ...inf.lister.list()]) {
        assert.equal(o.metadata.managedFields, undefined);
        assert.deepEqual(o.metadata.labels, {});
      }
    });

  it('a watch that ends cleanly is reopened from the last revision seen (bookmarks count)',
    async () => {
      const s = new ScriptedApi();
      s.lists = [[page('10', [])]];
      s.watches = [
        { events: [ev('ADDED', cm('a', '11')), ev('BOOKMARK', { metadata: {
          resourceVersion: '20' } })], end: 'clean' },
        { events: [], end: 'open' },
      ];
      inf = newInformer(s);
      inf.start();
      await turn();
      assert.deepEqual(s.watchCalls.map((o) => o.resourceVersion), ['10', '20']);
      assert.equal(s.listCalls.length, 1, 'no relist');
    });

  it('410 Gone: relists and replaces the cache, synthesizing delete and update handlers',
    async () => {
      const s = new ScriptedApi();
      s.lists = [
        [page('10', [cm('keep', '3'), cm('change', '4'), cm('vanish', '5')])],
        [page('30', [cm('keep', '3'), cm('change', '25'), cm('fresh', '26')])],
      ];
      s.watches = [{ events: [], end: gone() }, { events: [], end: 'open' }];
      inf = newInformer(s);
      const seen: string[] = [];
      inf.addHandlers(recorder(seen));
      inf.start();
      await turn();
      assert.equal(s.listCalls.length, 2);
      assert.deepEqual(seen.slice(3), ['delete vanish@5', 'update change@4->change@25',
        'add fresh@26']);
      assert.deepEqual(inf.lister.list().map(tag).sort(), ['change@25', 'fresh@26', 'keep@3']);
      assert.deepEqual(s.watchCalls.map((o) => o.resourceVersion), ['10', '30']);
      assert.equal(inf.lastSyncResourceVersion(), '30');
      // The relist asks for a state not older than the last one seen, unpaged (client-go's
      // rule): the API server answers it from its watch cache, not by reading the store.
      assert.equal(s.listCalls[1]!.resourceVersion, '10');
      assert.equal(s.listCalls[1]!.resourceVersionMatch, 'NotOlderThan');
      assert.equal(s.listCalls[1]!.limit, undefined);
      assert.equal(s.listCalls[1]!.timeoutMs, 60_000, 'the server\'s request timeout');
    });

  it('410 Gone, and the not-older-than relist answers 504 Too large resource version: lists ' +
    'the latest state in pages at once', async () => {
    const s = new ScriptedApi();
    s.lists = [
      [page('10', [cm('a', '3')])],
      tooLargeResourceVersion(10, 8), // the server's cache did not reach 10 in time
      [page('30', [cm('b', '26')])],
    ];
    s.watches = [{ events: [], end: gone() }, { events: [], end: 'open' }];
    inf = newInformer(s);
    inf.start();
    await turn();
    assert.equal(s.listCalls.length, 3);
    assert.equal(s.listCalls[2]!.resourceVersion, undefined);
    assert.equal(s.listCalls[2]!.limit, 500);
    assert.deepEqual(inf.lister.list().map(tag), ['b@26']);
    assert.equal(inf.lastSyncResourceVersion(), '30');
  });

  it('410 Gone, and the not-older-than relist times out: backs off and asks the cache again, ' +
    'never the store', async () => {
    const clock = new SimClock();
    const s = new ScriptedApi();
    const late = new Error('Deadline exceeded'); // the call's deadline, no Status from a server
    s.lists = [
      [page('10', [cm('a', '3')])],
      late,
      new StatusError(429, 'TooManyRequests', 'too many requests'),
      [page('30', [cm('b', '26')])],
    ];
    s.watches = [{ events: [], end: gone() }, { events: [], end: 'open' }];
    inf = newInformer(s, clock);
    inf.start();
    await turn();
    assert.equal(s.listCalls.length, 2, 'waits for the backoff');
    assert.ok(clock.step());
    await turn();
    assert.equal(s.listCalls.length, 3, 'waits for the backoff');
    assert.ok(clock.step());
    await turn();
    assert.deepEqual(s.listCalls.slice(1).map((o) => [o.resourceVersion,
      o.resourceVersionMatch, o.limit]), Array(3).fill(['10', 'NotOlderThan', undefined]));
    assert.deepEqual(inf.lister.list().map(tag), ['b@26']);
    assert.deepEqual(s.watchCalls.map((o) => o.resourceVersion), ['10', '30']);
  });

  it('other errors back off on the injected clock, then re-watch from the last revision',
    async () => {
      const clock = new SimClock();
      const s = new ScriptedApi();
      s.lists = [[page('10', [])]];
      s.watches = [
        { events: [ev('ADDED', cm('a', '11'))], end: new Error('unreachable') },
        { events: [], end: new Error('still unreachable') },
        { events: [], end: 'open' },
      ];
      inf = newInformer(s, clock);
      inf.start();
      await turn();
      assert.equal(s.watchCalls.length, 1, 'waits for the backoff');
      assert.ok(clock.step());
      await turn();
      assert.equal(s.watchCalls.length, 2);
      assert.ok(clock.step());
      await turn();
      assert.deepEqual(s.watchCalls.map((o) => o.resourceVersion), ['10', '11', '11']);
      assert.equal(s.listCalls.length, 1);
      assert.ok(clock.nowMs() > 0 && clock.nowMs() <= 5_000, `backoff ${clock.nowMs()} ms`);
    });

  it('addHandlers replays cached objects as adds; resync calls update(o, o)', async () => {
    const clock = new SimClock();
    const s = new ScriptedApi();
    s.lists = [[page('10', [cm('a', '1'), cm('b', '2')])]];
    inf = new SharedInformer(CONFIGMAPS, { resyncMs: 1000 }, { api: s.api, clock,
      prng: new Prng(1), log: () => {} });
    inf.start();
    await inf.whenSynced();
    const seen: string[] = [];
    inf.addHandlers(recorder(seen));
    assert.deepEqual(seen, ['add a@1', 'add b@2']);
    clock.step();
    assert.equal(clock.nowMs(), 1000);
    assert.deepEqual(seen.slice(2), ['update a@1->a@1', 'update b@2->b@2']);
  });

  it('a handler that throws does not stop the others or the informer', async () => {
    const s = new ScriptedApi();
    s.lists = [[page('10', [])]];
    s.watches = [{ events: [ev('ADDED', cm('a', '11')), ev('ADDED', cm('b', '12'))],
      end: 'open' }];
    const logs: string[] = [];
    inf = new SharedInformer(CONFIGMAPS, {}, { api: s.api, clock: new SimClock(),
      prng: new Prng(1), log: (l) => logs.push(l) });
    const seen: string[] = [];
    inf.addHandlers({ add: () => {
      throw new Error('bad handler');
    } });
    inf.addHandlers(recorder(seen));
    inf.start();
    await turn();
    assert.deepEqual(seen, ['add a@11', 'add b@12']);
    assert.equal(logs.filter((l) => l.includes('bad handler')).length, 2);
  });

  it('factory: one informer per resource and selectors; waitForSync rejects on abort',
    async () => {
      const s = new ScriptedApi(); // no scripted list: every list fails, nothing syncs
      const f = new SharedInformerFactory(s.api, { clock: new SimClock() });
      const a = f.informerFor(CONFIGMAPS, { namespace: 'x' });
      assert.equal(f.informerFor(CONFIGMAPS, { namespace: 'x', resyncMs: 5 }), a);
      assert.notEqual(f.informerFor(CONFIGMAPS, { namespace: 'y' }), a);
      f.start();
      const ac = new AbortController();
      const waiting = f.waitForSync(ac.signal);
      ac.abort(new Error('shutting down'));
      await assert.rejects(waiting, /shutting down/);
      await f.stopAndWait();
      assert.ok(s.listCalls.length >= 1);
    });
});

/**
 * Informers against the real API (a 3-member k8ts store, two in-process API servers, the gRPC
 * component client): list + watch sees creates, updates and deletes; a relist after a real 410
 * (a watch from a compacted-away revision) replaces the cache; the informer keeps going when the
 * API server it watches through is stopped (the client fails over to the other).
 */
import assert from 'node:assert/strict';
import type { KubeList, KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import type { EventHandlers } from '../../../src/client/cache/types.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

function cm(name: string, label: string, data = '1'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { t: label } },
    data: { v: data } };
}

/** until polls cond with a bounded deadline. */
async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function recorder(out: string[]): EventHandlers<KubeObject> {
  const d = (o: KubeObject): string => `${o.metadata.name ?? ''}=${String(
    (o.data as Record<string, string> | undefined)?.v)}`;
  return {
    add: (o) => out.push(`add ${d(o)}`),
    update: (a, b) => out.push(`update ${d(a)}->${d(b)}`),
    delete: (o) => out.push(`delete ${d(o)}`),
  };
}

/** delegate: a ComponentApi that forwards to api, except the overrides. */
function delegate(api: ApiClient, over: Partial<ComponentApi>): ComponentApi {
  return {
    get: (r, ns, n, o) => api.get(r, ns, n, o),
    list: (r, ns, o) => api.list(r, ns, o),
    watch: (r, ns, o) => api.watch(r, ns, o),
    create: (r, ns, obj, o) => api.create(r, ns, obj, o),
    update: (r, ns, obj, o) => api.update(r, ns, obj, o),
    patch: (r, ns, n, t, b, o) => api.patch(r, ns, n, t, b, o),
    delete: (r, ns, n, o) => api.delete(r, ns, n, o),
    bind: (ns, p, n, o) => api.bind(ns, p, n, o),
    ...over,
  };
}

describe('informers against the real API server', function () {
  this.timeout(30_000);
  let c: ApiCluster;
  let api: ApiClient;
  const factories: SharedInformerFactory[] = [];
  const newFactory = (a: ComponentApi, logs: string[] = []): SharedInformerFactory => {
    const f = new SharedInformerFactory(a, { clock: systemClock, log: (l) => logs.push(l) });
    factories.push(f);
    return f;
  };

  before(async function () {
    this.timeout(60_000);
    c = await startApiCluster({ servers: 2 });
    api = new ApiClient({ endpoints: c.grpcEndpoints, timeoutMs: 5_000 });
  });
  afterEach(async () => {
    await Promise.all(factories.splice(0).map((f) => f.stopAndWait()));
  });
  after(async () => {
    api?.close();
    await c?.stop();
  });

  it('list + watch: the cache and handlers follow creates, updates and deletes', async () => {
    await api.create(CONFIGMAPS, 'default', cm('lw-a', 'lw'));
    const f = newFactory(api);
    const inf = f.informerFor<KubeObject>(CONFIGMAPS, { namespace: 'default',
      labelSelector: 't=lw' });
    assert.equal(f.informerFor(CONFIGMAPS, { namespace: 'default', labelSelector: 't=lw' }), inf,
      'one informer per resource and options');
    const seen: string[] = [];
    inf.addHandlers(recorder(seen));
    f.start();
    await f.waitForSync(AbortSignal.timeout(10_000));
    assert.deepEqual(seen, ['add lw-a=1']);
    await api.create(CONFIGMAPS, 'default', cm('lw-b', 'lw'));
    const a = await api.get<KubeObject>(CONFIGMAPS, 'default', 'lw-a');
    await api.update(CONFIGMAPS, 'default', { ...a, data: { v: '2' } });
    await api.delete(CONFIGMAPS, 'default', 'lw-b');
    await api.create(CONFIGMAPS, 'default', cm('other', 'not-lw'));
    await until(() => seen.length >= 4, 'four events');
    assert.deepEqual(seen, ['add lw-a=1', 'add lw-b=1', 'update lw-a=1->lw-a=2',
      'delete lw-b=1']);
    assert.deepEqual(inf.lister.list('default').map((o) => o.metadata.name), ['lw-a']);
    assert.equal(inf.lister.get('default', 'lw-a')?.data !== undefined, true);
  });

  it('a watch from a revision the server no longer has (410) relists and replaces the cache',
    async () => {
      await api.create(CONFIGMAPS, 'default', cm('gone-keep', 'gone'));
      await api.create(CONFIGMAPS, 'default', cm('gone-vanish', 'gone'));
      const sel = { labelSelector: 't=gone' };
      const stale = await api.list<KubeObject>(CONFIGMAPS, 'default', sel);
      await api.delete(CONFIGMAPS, 'default', 'gone-vanish');
      await api.create(CONFIGMAPS, 'default', cm('gone-fresh', 'gone'));
      let lists = 0;
      const staleApi = delegate(api, {
        list: <T extends KubeObject>(...args: Parameters<ComponentApi['list']>) => {
          if (lists++ > 0) return api.list<T>(...args);
          // The first list claims revision 1: the watch from it must get 410 Expired.
          const first = { ...stale, metadata: { resourceVersion: '1' } };
          return Promise.resolve(first as unknown as KubeList<T>);
        },
      });
      const logs: string[] = [];
      const f = newFactory(staleApi, logs);
      const inf = f.informerFor<KubeObject>(CONFIGMAPS, { namespace: 'default', ...sel });
      const seen: string[] = [];
      inf.addHandlers(recorder(seen));
      f.start();
      await until(() => seen.length >= 4, 'relist handlers');
      assert.deepEqual(seen, ['add gone-keep=1', 'add gone-vanish=1', 'delete gone-vanish=1',
        'add gone-fresh=1']);
      assert.equal(lists, 2);
      assert.ok(logs.some((l) => /relisting/.test(l)), logs.join('\n'));
      const names = inf.lister.list().map((o) => o.metadata.name).sort();
      assert.deepEqual(names, ['gone-fresh', 'gone-keep']);
    });

  it('keeps watching when its API server is stopped (the client fails over)', async () => {
    const f = newFactory(api);
    const inf = f.informerFor<KubeObject>(CONFIGMAPS, { namespace: 'default',
      labelSelector: 't=fo' });
    const seen: string[] = [];
    inf.addHandlers(recorder(seen));
    f.start();
    await f.waitForSync();
    await api.create(CONFIGMAPS, 'default', cm('fo-1', 'fo'));
    await until(() => seen.length === 1, 'the first add');
    await c.stopServer(0);
    await api.create(CONFIGMAPS, 'default', cm('fo-2', 'fo'));
    await until(() => seen.length === 2, 'the add after failover');
    assert.deepEqual(seen, ['add fo-1=1', 'add fo-2=1']);
    assert.equal(api.endpoint, c.grpcEndpoints[1]);
  });
});

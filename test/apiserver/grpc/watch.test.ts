/**
 * Watches over the component API on the real registry and store: event order, resume from a
 * resourceVersion, the initial state, 410 for a resourceVersion the cache does not have, and
 * stop() ending an iteration that is waiting for an event.
 */
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { ApiClient } from '../../../src/client/api-client.js';
import type { ApiWatch, WatchEvent } from '../../../src/client/types.js';
import { CONFIGMAPS, startApiHarness, take, type ApiHarness } from './harness.js';

function summary(events: WatchEvent<KubeObject>[]): string[] {
  return events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
}

describe('component API watch (real registry, 3-member k8ts store)', function () {
  this.timeout(20_000);
  let h: ApiHarness;
  let api: ApiClient;
  const open: ApiWatch<KubeObject>[] = [];
  const watch = (o: Parameters<ApiClient['watch']>[2]): AsyncIterator<WatchEvent<KubeObject>> => {
    const w = api.watch(CONFIGMAPS, 'default', o);
    open.push(w);
    return w[Symbol.asyncIterator]();
  };

  before(async function () {
    this.timeout(60_000);
    h = await startApiHarness(1);
    api = new ApiClient({ endpoints: h.endpoints });
  });
  afterEach(() => open.splice(0).forEach((w) => w.stop()));
  after(async () => {
    api?.close();
    await h?.stop();
  });

  it('delivers ADDED, MODIFIED, DELETED in order; resumes after a resourceVersion', async () => {
    const rv0 = (await api.list(CONFIGMAPS, 'default')).metadata.resourceVersion ?? '';
    const it = watch({ resourceVersion: rv0, fieldSelector: 'metadata.name=w1' });
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' }, data: {} };
    await api.create(CONFIGMAPS, 'default', body);
    const type = 'application/merge-patch+json';
    await api.patch(CONFIGMAPS, 'default', 'w1', type, { data: { a: '2' } });
    await api.delete(CONFIGMAPS, 'default', 'w1');
    const events = await take(it, 3);
    assert.deepEqual(summary(events), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    const [r1 = 0, r2 = 0, r3 = 0] = rvs;
    assert.ok(r1 > Number(rv0) && r1 < r2 && r2 < r3, `rvs ${rvs.join(',')}`);
    assert.equal((events[1]?.object as { data?: unknown }).data !== undefined, true);

    const resumed = watch({ resourceVersion: String(rvs[0]), fieldSelector: 'metadata.name=w1' });
    assert.deepEqual(summary(await take(resumed, 2)), ['MODIFIED w1', 'DELETED w1']);
  });

  it('starts with the current state as ADDED events when no resourceVersion is given', async () => {
    const metadata = { name: 'w2', labels: { w: '2' } };
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata };
    await api.create(CONFIGMAPS, 'default', body);
    const it = watch({ labelSelector: 'w=2' });
    assert.deepEqual(summary(await take(it, 1)), ['ADDED w2']);
    await api.delete(CONFIGMAPS, 'default', 'w2');
    assert.deepEqual(summary(await take(it, 1)), ['DELETED w2']);
  });

  it('omitManagedFields: watch and list without managedFields, the rest the same JSON', async () => {
    const rv0 = (await api.list(CONFIGMAPS, 'default')).metadata.resourceVersion ?? '';
    const sel = { resourceVersion: rv0, fieldSelector: 'metadata.name=w5' };
    const full = watch(sel);
    const lean = watch({ ...sel, omitManagedFields: true });
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w5', labels: { a: 'b' } }, data: { x: '1' } };
    await api.create(CONFIGMAPS, 'default', body, { fieldManager: 'test-manager' });
    await api.patch(CONFIGMAPS, 'default', 'w5', 'application/merge-patch+json', { data: { x: '2' } });
    const [fullEvents, leanEvents] = [await take(full, 2), await take(lean, 2)];
    for (const [i, f] of fullEvents.entries()) {
      const l = leanEvents[i]!;
      assert.ok((f.object.metadata.managedFields?.length ?? 0) > 0, 'a full watch has managedFields');
      assert.ok(!Object.hasOwn(l.object.metadata, 'managedFields'), 'a lean watch has none');
      const { managedFields: _m, ...meta } = f.object.metadata;
      assert.equal(JSON.stringify(l.object), JSON.stringify({ ...f.object, metadata: meta }));
      assert.equal(l.type, f.type);
    }
    const list = await api.list(CONFIGMAPS, 'default', { fieldSelector: 'metadata.name=w5', omitManagedFields: true });
    assert.equal(list.items.length, 1);
    assert.ok(!Object.hasOwn(list.items[0]!.metadata, 'managedFields'));
    assert.equal(JSON.stringify(list.items[0]), JSON.stringify(leanEvents[1]!.object));
    await api.delete(CONFIGMAPS, 'default', 'w5');
  });

  it('a resourceVersion older than the watch cache: 410 Expired (OUT_OF_RANGE)', async () => {
    const it = watch({ resourceVersion: '1' });
    let err: unknown;
    try {
      await take(it, 1);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof StatusError, `got ${String(err)}`);
    assert.equal(err.code, 410);
    assert.equal(err.reason, 'Expired');
    assert.equal((err.cause as ServiceError).code, status.OUT_OF_RANGE);
  });

  it('stop() ends an iteration that waits for the next event, without an error', async () => {
    const it = watch({ fieldSelector: 'metadata.name=never' });
    const next = it.next();
    setTimeout(() => open.forEach((w) => w.stop()), 100);
    const r = await next;
    assert.equal(r.done, true);
  });

  it('watchEach calls back per event; done resolves after stop()', async () => {
    const rv = (await api.list(CONFIGMAPS, 'default')).metadata.resourceVersion ?? '';
    const seen: string[] = [];
    const o = { resourceVersion: rv, fieldSelector: 'metadata.name=cb' };
    const w = api.watchEach(CONFIGMAPS, 'default', o, (e) => seen.push(e.type));
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cb' } };
    await api.create(CONFIGMAPS, 'default', body);
    await api.delete(CONFIGMAPS, 'default', 'cb');
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    w.stop();
    await w.done;
    assert.deepEqual(seen, ['ADDED', 'DELETED']);
  });

  it('the server ends a watch after timeoutSeconds, cleanly', async () => {
    const rv = (await api.list(CONFIGMAPS, 'default')).metadata.resourceVersion ?? '';
    const it = watch({ resourceVersion: rv, timeoutSeconds: 1 });
    const r = await it.next();
    assert.equal(r.done, true);
  });
});

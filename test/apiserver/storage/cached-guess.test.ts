/**
 * guaranteedUpdate's first guess from the watch cache: an update right after another API
 * server's write (this server's cache possibly not caught up) still lands on top of it, a
 * resourceVersion precondition checked against a stale guess is confirmed against the store
 * before it refuses, and "nothing to change" is never concluded from a stale guess.
 */
import assert from 'node:assert/strict';
import { conflict } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { EtcdStorage } from '../../../src/apiserver/storage/etcd-storage.js';
import { EtcdClient } from '../../../src/store/client/index.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';
import { pod } from './suite.js';

const PREFIX = '/registry/pods/';
const key = (name: string) => `${PREFIX}guess/${name}`;
const labelsOf = (o: KubeObject) => o.metadata.labels ?? {};

describe('apiserver storage: updates guess from the watch cache', function () {
  this.timeout(30_000);
  let store: StoreCluster;
  let client: EtcdClient;
  let a: EtcdStorage;
  let b: EtcdStorage;

  before(async () => {
    store = await startStoreCluster(3);
    client = new EtcdClient({ endpoints: store.endpoints, requestTimeoutMs: 5_000 });
    a = new EtcdStorage({ client, clock: systemClock });
    b = new EtcdStorage({ client, clock: systemClock });
    await a.cacheFor(PREFIX).waitReady();
  });
  after(async () => {
    a.close();
    b.close();
    client.close();
    await store.stop();
  });

  it('lands on top of a write the cache may not have seen, many times over', async () => {
    for (let i = 0; i < 20; i++) {
      await a.create(key(`p${i}`), pod('guess', `p${i}`));
      await a.cacheFor(PREFIX).waitUntilFresh(Number((await a.get(key(`p${i}`)))?.metadata.resourceVersion));
      await b.guaranteedUpdate(key(`p${i}`), (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...labelsOf(o), b: '1' } } }));
      const out = await a.guaranteedUpdate(key(`p${i}`), (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...labelsOf(o), a: '1' } } }));
      assert.deepEqual(labelsOf(out), { a: '1', b: '1' });
    }
  });

  it('a precondition refused on a stale guess is confirmed against the store first', async () => {
    await a.create(key('pre'), pod('guess', 'pre'));
    const fresh = await b.guaranteedUpdate(key('pre'), (o) => ({ ...o, metadata: { ...o.metadata, labels: { v: '2' } } }));
    const want = fresh.metadata.resourceVersion;
    const out = await a.guaranteedUpdate(key('pre'), (o) => {
      if (o.metadata.resourceVersion !== want) throw conflict({ group: '', resource: 'pods' }, 'pre', 'stale');
      return { ...o, metadata: { ...o.metadata, labels: { v: '3' } } };
    });
    assert.deepEqual(labelsOf(out), { v: '3' });
  });

  it('"nothing to change" is decided on the stored state, not on a stale guess', async () => {
    await a.create(key('noop'), pod('guess', 'noop', { v: '1' }));
    await a.cacheFor(PREFIX).waitUntilFresh(Number((await a.get(key('noop')))?.metadata.resourceVersion));
    await b.guaranteedUpdate(key('noop'), (o) => ({ ...o, metadata: { ...o.metadata, labels: { v: '2' } } }));
    const out = await a.guaranteedUpdate(key('noop'), (o) => ({ ...o, metadata: { ...o.metadata, labels: { v: '1' } } }));
    assert.deepEqual(labelsOf(out), { v: '1' }, 'the update to v=1 is applied over v=2');
    assert.deepEqual(labelsOf((await b.get(key('noop'))) as KubeObject), { v: '1' });
  });
});

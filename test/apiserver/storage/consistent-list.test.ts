/**
 * Consistent lists (resourceVersion "", unpaged) answered from the watch cache, as upstream's
 * ConsistentListFromCache: a list shows every write acknowledged before it, even one made
 * through another API server a moment earlier, without reading the resource's keys from the
 * store; a cache that cannot catch up in time leaves the answer to the store.
 */
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import { EtcdStorage } from '../../../src/apiserver/storage/etcd-storage.js';
import { EtcdClient, type GetOptions } from '../../../src/store/client/index.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';
import { pod } from './suite.js';

const PODS = '/registry/pods/';
const CONFIGMAPS = '/registry/configmaps/';

/** countingRanges: the client, with every multi-key Range (a list's read) counted. */
function countingRanges(client: EtcdClient): { client: EtcdClient; ranges: () => number } {
  let n = 0;
  const spy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return (key: string, o?: GetOptions) => {
          if (o?.rangeEnd !== undefined) n++;
          return target.get(key, o);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { client: spy, ranges: () => n };
}

const names = (items: { metadata: { name?: string } }[]) => items.map((o) => o.metadata.name).sort();

describe('apiserver storage: consistent lists from the watch cache', function () {
  this.timeout(30_000);
  let store: StoreCluster;
  let client: EtcdClient;

  before(async () => {
    store = await startStoreCluster(3);
    client = new EtcdClient({ endpoints: store.endpoints, requestTimeoutMs: 5_000 });
  });
  after(async () => {
    client.close();
    await store.stop();
  });

  it('shows a write made through another API server just before, reading no list from the store', async () => {
    const counted = countingRanges(client);
    const a = new EtcdStorage({ client: counted.client, clock: systemClock });
    const b = new EtcdStorage({ client, clock: systemClock });
    try {
      await a.cacheFor(PODS).waitReady();
      const before = counted.ranges();
      const want: string[] = [];
      for (let i = 0; i < 20; i++) {
        await b.create(`${PODS}cl/p${i}`, pod('cl', `p${i}`));
        want.push(`p${i}`);
        const got = await a.list(`${PODS}cl/`, {});
        assert.deepEqual(names(got.items), [...want].sort(), `list ${i}`);
        const created = await client.get(`${PODS}cl/p${i}`);
        assert.ok(Number(got.resourceVersion) >= created.kvs[0]!.modRevision);
      }
      assert.equal(counted.ranges(), before, 'no list read the store');
    } finally {
      a.close();
      b.close();
    }
  });

  it('leaves the answer to the store when the cache cannot catch up in time', async () => {
    const counted = countingRanges(client);
    // Progress notifications not trusted: only an event moves this cache, so a write elsewhere
    // leaves it behind the store's revision until its fresh timeout.
    const a = new EtcdStorage({
      client: counted.client,
      clock: systemClock,
      cache: { trustProgressRequests: false, freshTimeoutMs: 50 },
    });
    const b = new EtcdStorage({ client, clock: systemClock });
    try {
      await b.create(`${PODS}lag/p0`, pod('lag', 'p0'));
      await a.cacheFor(PODS).waitReady();
      await b.create(`${CONFIGMAPS}lag/c0`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c0', namespace: 'lag' } });
      const before = counted.ranges();
      const got = await a.list(`${PODS}lag/`, {});
      assert.deepEqual(names(got.items), ['p0']);
      assert.ok(counted.ranges() > before, 'the store answered');
    } finally {
      a.close();
      b.close();
    }
  });
});

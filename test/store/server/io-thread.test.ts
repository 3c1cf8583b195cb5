/**
 * A store member whose client port is served by its I/O thread (io-thread.ts): through that port
 * KV calls (crossing to the main thread as bytes) answer and fail exactly as on the main thread,
 * with etcd's statuses and texts, many at once; the proxied services (Watch, Lease, Cluster,
 * Maintenance) work, a watch stream included; and MemberList shows the bound client URL.
 * The conformance suite also passes with K8TS_STORE_IO_THREAD=1 (test/store/client).
 */
import assert from 'node:assert/strict';
import { credentials } from '@grpc/grpc-js';
import {
  ClusterClient, KVClient, LeaseClient, PutRequest, RangeRequest, WatchClient,
  WatchCreateRequest, type WatchResponse,
} from '../../../src/gen/etcdserverpb/rpc.js';
import { channelOptions } from '../../../src/rpc/defaults.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { unary } from '../../../src/rpc/unary.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';

describe('store member I/O thread', function () {
  this.timeout(30_000);
  let c: StoreCluster;
  let before: string | undefined;

  beforeEach(() => {
    before = process.env.K8TS_STORE_IO_THREAD;
    process.env.K8TS_STORE_IO_THREAD = '1';
  });

  afterEach(async () => {
    if (before === undefined) delete process.env.K8TS_STORE_IO_THREAD;
    else process.env.K8TS_STORE_IO_THREAD = before;
    await c?.stop();
  });

  it('serves KV calls, their errors and the proxied services on the client port', async () => {
    c = await startStoreCluster(3);
    assert.ok(c.members.every((m) => m?.servesClientsOnThread()));
    const at = c.endpoints[await c.leader()]!;
    const kv = new KVClient(at, credentials.createInsecure(), channelOptions());
    const watch = new WatchClient(at, credentials.createInsecure(), channelOptions());
    const lease = new LeaseClient(at, credentials.createInsecure(), channelOptions());
    const cluster = new ClusterClient(at, credentials.createInsecure(), channelOptions());
    try {
      const stream = watch.watch();
      const events: WatchResponse[] = [];
      stream.on('data', (r: WatchResponse) => events.push(r));
      stream.on('error', () => undefined); // cancelled at the end
      const create = WatchCreateRequest.fromPartial({ key: Buffer.from('/io/'), rangeEnd: Buffer.from('/io0') });
      stream.write({ requestUnion: { $case: 'createRequest', value: create } });
      await waitUntil(() => events.length >= 1);

      // 300 Puts at once: they cross in batches and every one answers with its own revision.
      const puts = await Promise.all(Array.from({ length: 300 }, (_, i) => unary(kv, kv.put,
        PutRequest.fromPartial({ key: Buffer.from(`/io/${i}`), value: Buffer.from(`v${i}`) }))));
      const revs = new Set(puts.map((p) => p.header!.revision));
      assert.equal(revs.size, 300);
      const got = await unary(kv, kv.range, RangeRequest.fromPartial({ key: Buffer.from('/io/7') }));
      assert.equal(Buffer.from(got.kvs[0]!.value).toString(), 'v7');

      // An error decided on the main thread comes back with etcd's code and text.
      await assert.rejects(unary(kv, kv.put, PutRequest.fromPartial({ key: Buffer.alloc(0) })),
        (e: unknown) => e instanceof RpcError && /key is not provided/.test(e.message));

      const granted = await unary(lease, lease.leaseGrant, { TTL: 30n, ID: 0n });
      assert.ok(granted.ID > 0n);
      const members = await unary(cluster, cluster.memberList, { linearizable: false });
      const urls = members.members.flatMap((m) => m.clientURLs);
      for (const e of c.endpoints) assert.ok(urls.includes(`http://${e}`), `${e} in ${urls.join(' ')}`);

      await waitUntil(() => events.reduce((n, r) => n + r.events.length, 0) >= 300);
      stream.cancel();
    } finally {
      for (const x of [kv, watch, lease, cluster]) x.close();
    }
  });
});

async function waitUntil(ok: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

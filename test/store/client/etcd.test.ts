/**
 * The store conformance suite against real etcd 3.4 (Debian's etcd-server): one member for the
 * semantics, three for cluster agreement and failover. Skipped only when the `etcd` binary is
 * missing (CI installs it).
 */
import { EtcdCluster, etcdAvailable, etcdVersion } from '../../support/etcd.js';
import { storeConformanceSuite, type StoreUnderTest } from './suite.js';

function etcdStore(members: number): () => Promise<StoreUnderTest> {
  return async () => {
    const cluster = await EtcdCluster.start({ members });
    return {
      endpoints: cluster.endpoints,
      stop: () => cluster.stop(),
      kill: (i) => cluster.kill(i),
      restart: (i) => cluster.restart(i),
    };
  };
}

if (etcdAvailable()) {
  const v = etcdVersion();
  storeConformanceSuite(`etcd ${v}, 1 member`, etcdStore(1), { groups: ['semantics'] });
  storeConformanceSuite(`etcd ${v}, 3 members`, etcdStore(3), { groups: ['cluster'] });
} else {
  describe('store conformance: etcd', () => {
    it('needs the etcd binary (Debian package etcd-server); skipped', function () {
      this.skip();
    });
  });
}

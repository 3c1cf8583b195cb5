/**
 * The storage suite on real etcd 3.4 (Debian's etcd-server), 3 members, with frequent progress
 * notifications as kube-apiserver deployments configure them. Skipped only without the binary.
 */
import { EtcdCluster, etcdAvailable, etcdVersion } from '../../support/etcd.js';
import { storageSuite } from './suite.js';

if (etcdAvailable()) {
  storageSuite(`etcd ${etcdVersion()}, 3 members`, async () => {
    const extraArgs = ['--experimental-watch-progress-notify-interval', '200ms'];
    const cluster = await EtcdCluster.start({ members: 3, extraArgs });
    // etcd 3.4.23 can answer a progress request before delivering earlier events (etcd#15220,
    // fixed in 3.4.25): the cache must not take such an answer as proof of freshness.
    return { endpoints: cluster.endpoints, stop: () => cluster.stop(), cache: { trustProgressRequests: false } };
  });
} else {
  describe('apiserver storage: etcd', () => {
    it('needs the etcd binary (Debian package etcd-server); skipped', function () {
      this.skip();
    });
  });
}

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
    return { endpoints: cluster.endpoints, stop: () => cluster.stop() };
  });
} else {
  describe('apiserver storage: etcd', () => {
    it('needs the etcd binary (Debian package etcd-server); skipped', function () {
      this.skip();
    });
  });
}

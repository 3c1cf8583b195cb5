/**
 * The storage suite on a 3-member k8ts store (the same tests run on real etcd in etcd.test.ts).
 */
import { startStoreCluster } from '../../support/store.js';
import { storageSuite } from './suite.js';

storageSuite('k8ts store, 3 members', async () => {
  const c = await startStoreCluster(3, { progressNotifyMs: 200 });
  return { endpoints: c.endpoints, stop: () => c.stop() };
});

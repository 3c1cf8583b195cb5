/**
 * The store conformance suite against the k8ts store: the same tests that pass against real etcd
 * 3.4 (etcd.test.ts), through the same client, on a 3-member k8ts store for both groups.
 */
import { startStoreCluster } from '../../support/store.js';
import { storeConformanceSuite, type StoreUnderTest } from './suite.js';

async function k8tsStore(): Promise<StoreUnderTest> {
  const c = await startStoreCluster(3);
  return { endpoints: c.endpoints, stop: () => c.stop(), kill: (i) => c.kill(i), restart: (i) => c.restart(i) };
}

storeConformanceSuite('k8ts store, 3 members', k8tsStore);

/**
 * The status manager against the REAL in-process API server: the newest of many reports is
 * what ends up written, conditions others own survive, a pod replaced under the same name (new
 * uid) never receives the old pod's status, and a static pod's status lands on its mirror pod.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { PODS } from '../../../src/kubelet/resources.js';
import {
  mirrorPodFor, parseManifest, staticPodFrom,
} from '../../../src/kubelet/sources/static-pods.js';
import { StatusManager } from '../../../src/kubelet/status-manager/status-manager.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const spec = { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] };

describe('kubelet status manager (real API server)', function () {
  this.timeout(30_000);
  let cluster: ApiCluster;
  let api: ApiClient;
  let sm: StatusManager;

  before(async () => {
    cluster = await startApiCluster();
    api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  });
  beforeEach(() => {
    // No cache: every write reads the API (the kubelet passes its informer's lister).
    sm = new StatusManager({ api, cached: () => undefined, clock: systemClock, log: () => {} });
    sm.start();
  });
  afterEach(() => sm.stop());
  after(async () => {
    api.close();
    await cluster.stop();
  });

  it('writes the newest report, keeping conditions it does not own', async () => {
    const pod = await api.create<Pod>(PODS, 'default', { metadata: { name: 'p1' }, spec });
    const scheduled = { type: 'PodScheduled', status: 'True' as const };
    await api.update<Pod>(PODS, 'default', { ...pod, status: { conditions: [scheduled] } },
      { subresource: 'status' });
    for (let i = 0; i < 20; i++) {
      sm.reportStatus(pod, { phase: 'Running', podIP: `127.0.0.${i + 1}`,
        conditions: [{ type: 'Ready', status: 'True' }] });
    }
    await sm.idle();
    const got = await api.get<Pod>(PODS, 'default', 'p1');
    assert.equal(got.status?.podIP, '127.0.0.20');
    assert.deepEqual(got.status?.conditions?.map((c) => c.type), ['PodScheduled', 'Ready']);
  });

  it('never writes an old pod\'s status onto a new pod of the same name', async () => {
    const old = await api.create<Pod>(PODS, 'default', { metadata: { name: 'p2' }, spec });
    await api.delete(PODS, 'default', 'p2', { gracePeriodSeconds: 0 });
    await api.create<Pod>(PODS, 'default', { metadata: { name: 'p2' }, spec });
    sm.reportStatus(old, { phase: 'Failed', reason: 'Old' });
    await sm.idle();
    const got = await api.get<Pod>(PODS, 'default', 'p2');
    assert.notEqual(got.status?.phase, 'Failed');
  });

  it('writes a static pod\'s status to its mirror pod', async () => {
    const s = staticPodFrom(parseManifest('metadata: {name: st}\nspec: {containers: ' +
      '[{name: c, image: busybox}]}', 'f'), 'n1', 'f');
    sm.reportStatus(s, { phase: 'Running', podIP: '127.0.0.9' });
    await sm.idle();
    await api.create(PODS, 'default', mirrorPodFor(s, { name: 'n1', uid: 'node-uid' }));
    sm.kick(s.metadata.uid ?? '');
    await sm.idle();
    const mirror = await api.get<Pod>(PODS, 'default', 'st-n1');
    assert.equal(mirror.status?.phase, 'Running');
    assert.equal(mirror.status?.podIP, '127.0.0.9');
  });
});

/**
 * What a standby controller manager keeps warm: every controller resource but the Leases the
 * leaders renew 10 times a second (src/controllers/all.ts says why).
 */
import assert from 'node:assert/strict';
import { CONTROLLER_RESOURCES, STANDBY_WARM_RESOURCES } from '../../src/controllers/all.js';

const key = (r: { group: string; resource: string }): string => `${r.resource}.${r.group}`;

describe('controller manager standby caches', () => {
  it('warms every controller resource except coordination.k8s.io leases', () => {
    const warm = new Set(STANDBY_WARM_RESOURCES.map(key));
    const left = CONTROLLER_RESOURCES.map(key).filter((k) => !warm.has(k));
    assert.deepEqual(left, ['leases.coordination.k8s.io']);
    assert.equal(STANDBY_WARM_RESOURCES.length, CONTROLLER_RESOURCES.length - 1);
  });

  it('keeps what the failover path reads warm (pods, ReplicaSets, Deployments, nodes)', () => {
    const warm = new Set(STANDBY_WARM_RESOURCES.map(key));
    for (const k of ['pods.', 'replicasets.apps', 'deployments.apps', 'nodes.']) {
      assert.ok(warm.has(k), k);
    }
  });
});

/**
 * The liveness judge reads the store, not a cache: a ReplicaSet short of ready pods, Endpoints
 * that miss a ready pod, a pod on a dead node or stuck terminating are each reported; the same
 * cluster put right reports nothing.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { unconverged } from '../../../src/sim/control-plane/convergence.js';
import { MemoryStorage } from '../../../src/sim/control-plane/memory-storage.js';

const CONTROLLERS = new Set(['replicaset', 'endpoint', 'garbagecollector']);

function rs(replicas: number, ready: number, generation = 1): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation },
    spec: { replicas },
    status: { replicas, readyReplicas: ready, observedGeneration: 1 } };
}

function pod(name: string, ip: string, o: { node?: string; ready?: boolean;
  terminating?: boolean } = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web',
        uid: 'rs-uid', controller: true }],
      ...(o.terminating === true ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1' },
    status: { phase: 'Running', podIP: ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] } };
}

function endpoints(ips: string[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 8080 }] }] };
}

const SERVICE: KubeObject = { apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
const NODE: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] } };

async function store(objects: Record<string, KubeObject>): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  for (const [key, obj] of Object.entries(objects)) await s.create(key, obj);
  return s;
}

const live = new Set(['n1']);

describe('sim control plane: convergence', () => {
  it('reports nothing for a settled cluster', async () => {
    const storage = await store({
      '/registry/replicasets/default/web': rs(2, 2),
      '/registry/pods/default/a': pod('a', '10.0.0.1'),
      '/registry/pods/default/b': pod('b', '10.0.0.2'),
      '/registry/services/default/web': SERVICE,
      '/registry/endpoints/default/web': endpoints(['10.0.0.2', '10.0.0.1']),
      '/registry/nodes/n1': NODE,
    });
    assert.deepEqual(await unconverged({ storage, liveNodes: live, controllers: CONTROLLERS }),
      []);
  });

  it('reports missing ready pods, stale Endpoints, dead nodes and stuck terminations', async () => {
    const storage = await store({
      '/registry/replicasets/default/web': rs(2, 1, 2),
      '/registry/pods/default/a': pod('a', '10.0.0.1'),
      '/registry/pods/default/b': pod('b', '10.0.0.2', { ready: false }),
      '/registry/pods/default/c': pod('c', '10.0.0.3', { node: 'n2', terminating: true }),
      '/registry/services/default/web': SERVICE,
      '/registry/endpoints/default/web': endpoints(['10.0.0.2']),
      '/registry/nodes/n1': NODE,
    });
    const problems = await unconverged({ storage, liveNodes: live, controllers: CONTROLLERS });
    assert.deepEqual(problems, [
      'pod default/c is on n2, not a live node',
      'pod default/c is stuck terminating on n2',
      'ReplicaSet default/web has 1 ready pods of 2',
      'ReplicaSet default/web\'s status has not observed generation 2',
      'Endpoints default/web list [10.0.0.2] (0 not ready), ready pods are [10.0.0.1]',
    ]);
  });
});

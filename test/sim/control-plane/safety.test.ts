/**
 * The safety checker judges every commit: each invariant is shown to fire on the history that
 * breaks it (written straight through the real registry, as a broken component would write) and
 * to stay quiet on the same history done right — a checker that cannot fail proves nothing.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { bootstrapCluster } from '../../../src/apiserver/bootstrap.js';
import { Allocator, parseCidr } from '../../../src/apiserver/registry/allocator.js';
import { Registry } from '../../../src/apiserver/registry/registry.js';
import { ServiceAddresses } from '../../../src/apiserver/registry/services.js';
import { Prng } from '../../../src/base/prng.js';
import type { ApiResource, LeaderFence } from '../../../src/client/types.js';
import { Audit } from '../../../src/sim/control-plane/audit.js';
import { MemoryStorage } from '../../../src/sim/control-plane/memory-storage.js';
import { RegistryApi } from '../../../src/sim/control-plane/registry-api.js';
import { SafetyChecker } from '../../../src/sim/control-plane/safety.js';

const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
const LEASES: ApiResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const RS: ApiResource = { group: 'apps', version: 'v1', resource: 'replicasets' };
const DEPLOYMENTS: ApiResource = { group: 'apps', version: 'v1', resource: 'deployments' };
const KCM = 'system:kube-controller-manager';

interface Rig {
  checker: SafetyChecker;
  api: (user: string) => RegistryApi;
}

async function rig(stripFences = false): Promise<Rig> {
  const storage = new MemoryStorage();
  const audit = new Audit({ stripFences });
  const checker = new SafetyChecker(audit, () => 0, 30_000);
  storage.observe((rev, writes) => checker.onCommit(rev, writes));
  const prng = new Prng(1);
  let uids = 0;
  const registry = audit.wrap(new Registry({
    storage, wallMs: () => Date.UTC(2025, 0, 1), newUid: () => `uid-${++uids}`,
    random: () => prng.float(),
    services: new ServiceAddresses(new Allocator(storage, parseCidr('10.96.0.0/16'))),
  }));
  await bootstrapCluster(registry, { host: '192.168.100.1', port: 6443 });
  return { checker, api: (user) => new RegistryApi(registry, { name: user, groups: [] }) };
}

/** acquire makes holder the controller manager's leader; returns its fence. */
async function acquire(r: Rig, holder: string): Promise<LeaderFence> {
  const api = r.api(KCM);
  const spec = { holderIdentity: holder, leaseDurationSeconds: 1 };
  let lease: KubeObject;
  try {
    const cur = await api.get(LEASES, 'kube-system', 'kube-controller-manager');
    lease = await api.update(LEASES, 'kube-system', { ...cur, spec });
  } catch {
    lease = await api.create(LEASES, 'kube-system', { apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease', metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
      spec });
  }
  return { namespace: 'kube-system', name: 'kube-controller-manager',
    revision: lease.metadata.resourceVersion ?? '' };
}

function node(name: string, pods: number): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name },
    status: { allocatable: { pods: String(pods), cpu: '1', memory: '1Gi' } } };
}

function pod(name: string, o: { owner?: string; cpu?: string } = {}): KubeObject {
  const ownerReferences = o.owner === undefined ? [] : [{ apiVersion: 'apps/v1',
    kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default',
    ownerReferences },
  spec: { containers: [{ name: 'c', image: 'i',
    resources: { requests: { cpu: o.cpu ?? '100m' } } }] } };
}

function replicaSet(replicas: number, owner?: string): KubeObject {
  const ownerReferences = owner === undefined ? [] : [{ apiVersion: 'apps/v1',
    kind: 'Deployment', name: 'd', uid: owner, controller: true }];
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: `rs-${replicas}${owner === undefined ? '' : '-d'}`, namespace: 'default',
      ownerReferences },
    spec: { replicas, selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } },
        spec: { containers: [{ name: 'c', image: 'i' }] } } } };
}

const invariants = (r: Rig): string[] => r.checker.violations.map((v) => v.invariant);

describe('sim control plane: safety checker', () => {
  it('accepts the current leader fenced writes; the registry refuses a deposed one', async () => {
    const r = await rig();
    const old = await acquire(r, 'kcm-1');
    await r.api(KCM).create(PODS, 'default', pod('a'), { fence: old });
    await acquire(r, 'kcm-2');
    await assert.rejects(r.api(KCM).create(PODS, 'default', pod('b'), { fence: old }),
      /held by another leader/);
    assert.deepEqual(invariants(r), []);
    assert.equal(r.checker.stats.fencedWrites, 1);
  });

  it('flags a deposed leader write that landed because the fence was dropped', async () => {
    const r = await rig(true);
    const old = await acquire(r, 'kcm-1');
    await acquire(r, 'kcm-2');
    await r.api(KCM).create(PODS, 'default', pod('b'), { fence: old });
    assert.deepEqual(invariants(r), ['fenced']);
    assert.match(r.checker.violations[0]?.detail ?? '', /landed with fence/);
  });

  it('flags an elected component write without any fence, not a kubelet write', async () => {
    const r = await rig();
    await r.api('system:node:n1').create(PODS, 'default', pod('a'));
    assert.deepEqual(invariants(r), []);
    await r.api(KCM).create(PODS, 'default', pod('b'));
    assert.deepEqual(invariants(r), ['fenced']);
  });

  it('flags a pod created beyond its ReplicaSet replicas', async () => {
    const r = await rig();
    const admin = r.api('admin');
    const rs = await admin.create(RS, 'default', replicaSet(1));
    const uid = rs.metadata.uid ?? '';
    await admin.create(PODS, 'default', pod('a', { owner: uid }));
    assert.deepEqual(invariants(r), []);
    await admin.create(PODS, 'default', pod('b', { owner: uid }));
    assert.deepEqual(invariants(r), ['no-overcreate']);
  });

  it('flags binds to a missing node and beyond the allocatable pods of a node', async () => {
    const r = await rig();
    const admin = r.api('admin');
    await admin.create(NODES, undefined, node('n1', 1));
    for (const name of ['a', 'b', 'c']) await admin.create(PODS, 'default', pod(name));
    await admin.bind('default', 'a', 'n1');
    assert.deepEqual(invariants(r), []);
    await admin.bind('default', 'b', 'n1');
    await admin.bind('default', 'c', 'ghost');
    assert.deepEqual(invariants(r), ['node-capacity', 'bound-to-node']);
  });

  it('flags ReplicaSets of a Deployment that ask for more than replicas + maxSurge', async () => {
    const r = await rig();
    const admin = r.api('admin');
    const d = await admin.create<KubeObject>(DEPLOYMENTS, 'default', { apiVersion: 'apps/v1',
      kind: 'Deployment', metadata: { name: 'd', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'a' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    const uid = d.metadata.uid ?? '';
    await admin.create(RS, 'default', replicaSet(2, uid));
    await admin.create(RS, 'default', replicaSet(1, uid));
    assert.deepEqual(invariants(r), []);
    await admin.create(RS, 'default', replicaSet(3, uid));
    assert.deepEqual(invariants(r), ['max-surge']);
  });
});

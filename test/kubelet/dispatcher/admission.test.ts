/**
 * Pod admission: resources against allocatable (with what admitted pods use), the pod count,
 * node selector and required affinity, host port clashes — with upstream's reasons/messages.
 */
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../../src/api/core/v1/pod-types.js';
import { admitPod, rejectedStatus } from '../../../src/kubelet/dispatcher/admission.js';

const node = { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1', disk: 'ssd' },
  allocatable: { cpu: '2', memory: '1Gi', pods: '3' } };
const pod = (c: Partial<Container> = {}, spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers: [{ name: 'c', ...c }], ...spec },
});

describe('kubelet admission', () => {
  it('admits a pod that fits', () => {
    assert.deepEqual(admitPod(pod({ resources: { requests: { cpu: '1' } } }), node, []),
      { admit: true });
  });

  it('rejects OutOfcpu and OutOfmemory counting admitted pods, with upstream messages', () => {
    const half = pod({ resources: { requests: { cpu: '1500m', memory: '512Mi' } } });
    assert.deepEqual(admitPod(half, node, [half]), { admit: false, reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 1500, used: 1500, " +
        'capacity: 2000' });
    const mem = pod({ resources: { requests: { memory: '2Gi' } } });
    const r = admitPod(mem, node, []);
    assert.equal(r.admit ? '' : r.reason, 'OutOfmemory');
  });

  it('rejects OutOfpods past the pod capacity', () => {
    const r = admitPod(pod(), node, [pod(), pod(), pod()]);
    assert.equal(r.admit ? '' : r.reason, 'OutOfpods');
  });

  it('rejects a node selector or required affinity the node does not match', () => {
    assert.equal(admitPod(pod({}, { nodeSelector: { disk: 'ssd' } }), node, []).admit, true);
    const r = admitPod(pod({}, { nodeSelector: { disk: 'hdd' } }), node, []);
    assert.deepEqual(r, { admit: false, reason: 'NodeAffinity', message:
      "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    const required = { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk',
      operator: 'NotIn' as const, values: ['ssd'] }] }] };
    const aff = pod({}, { affinity: { nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: required } } });
    assert.equal(admitPod(aff, node, []).admit, false);
  });

  it('rejects a host port already taken (wildcard addresses overlap everything)', () => {
    const web = pod({ ports: [{ containerPort: 80, hostPort: 8080 }] });
    const r = admitPod(web, node, [web]);
    assert.equal(r.admit ? '' : r.reason, 'NodePorts');
    const udp = pod({ ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] });
    assert.equal(admitPod(udp, node, [web]).admit, true);
    const a = pod({ ports: [{ containerPort: 80, hostPort: 9, hostIP: '127.0.0.2' }] });
    const b = pod({ ports: [{ containerPort: 80, hostPort: 9, hostIP: '127.0.0.3' }] });
    assert.equal(admitPod(a, node, [b]).admit, true);
  });

  it('fails a rejected pod with "Pod was rejected: "', () => {
    assert.deepEqual(rejectedStatus({ reason: 'OutOfcpu', message: 'm' }),
      { phase: 'Failed', reason: 'OutOfcpu', message: 'Pod was rejected: m' });
  });
});

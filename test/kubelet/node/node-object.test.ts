/**
 * The Node a kubelet registers and the status it posts, from plain facts: labels, role taint,
 * allocatable arithmetic, conditions (Ready from the runtime, transition times kept while
 * unchanged), nodeInfo, and the change detection that decides whether to write.
 */
import assert from 'node:assert/strict';
import { resolveKubeletConfig } from '../../../src/kubelet/config.js';
import {
  allocatableOf, newNodeObject, nodeStatus, statusChanged, type HostFacts, type RuntimeFacts,
} from '../../../src/kubelet/node/node-object.js';
import { reconcilePatch } from '../../../src/kubelet/node/node-agent.js';

const host: HostFacts = {
  osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.18.0', architecture: 'amd64',
  operatingSystem: 'linux', machineID: 'm', bootID: 'b', systemUUID: 'u',
};
const ready: RuntimeFacts = { name: 'k8ts-process', version: '0.1.0', ready: true, message: '' };
const cfg = (o: Partial<Parameters<typeof resolveKubeletConfig>[0]> = {}) =>
  resolveKubeletConfig({ nodeName: 'w1', address: '127.0.2.1', rootDir: '/tmp/x',
    capacity: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' }, ...o });

describe('kubelet node object', () => {
  it('labels a worker with hostname, os and arch, and registers it untainted', () => {
    const node = newNodeObject(cfg(), host, {});
    assert.deepEqual(node.metadata.labels, { 'kubernetes.io/hostname': 'w1',
      'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    assert.deepEqual(node.spec?.taints, []);
  });

  it('gives a master the control-plane role label and NoSchedule taint, and podCIDRs', () => {
    const node = newNodeObject(cfg({ role: 'master', podCidrs: ['127.64.1.0/24'] }), host, {});
    assert.equal(node.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    assert.deepEqual(node.spec?.taints, [{ key: 'node-role.kubernetes.io/control-plane',
      effect: 'NoSchedule' }]);
    assert.equal(node.spec?.podCIDR, '127.64.1.0/24');
    assert.deepEqual(node.spec?.podCIDRs, ['127.64.1.0/24']);
  });

  it('computes allocatable as capacity minus reserved, never below zero', () => {
    assert.deepEqual(allocatableOf({ cpu: '4', memory: '8Gi', pods: 110 },
      { cpu: '500m', memory: '1Gi', gpu: '1' }), { cpu: '3500m', memory: '7Gi', pods: '110' });
    assert.deepEqual(allocatableOf({ cpu: '1' }, { cpu: '2' }), { cpu: '0' });
  });

  it('posts Ready with upstream reasons, addresses, endpoint and nodeInfo', () => {
    const s = nodeStatus({ cfg: cfg({ kubeletPort: 10255 }), host, runtime: ready, previous: [],
      now: '2026-01-01T00:00:00Z' });
    const readyCond = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(readyCond?.status, 'True');
    assert.equal(readyCond?.reason, 'KubeletReady');
    assert.equal(readyCond?.message, 'kubelet is posting ready status');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      assert.equal(s.conditions?.find((c) => c.type === t)?.status, 'False', t);
    }
    assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '127.0.2.1' },
      { type: 'Hostname', address: 'w1' }]);
    assert.equal(s.daemonEndpoints?.kubeletEndpoint?.Port, 10255);
    assert.equal(s.nodeInfo?.kubeletVersion, 'v1.32.0-k8ts');
    assert.equal(s.nodeInfo?.containerRuntimeVersion, 'k8ts-process://0.1.0');
    assert.equal(s.nodeInfo?.osImage, host.osImage);
    assert.equal(s.capacity?.pods, '110');
    assert.equal(s.allocatable?.memory, '8Gi');
  });

  it('is NotReady with the runtime message when the runtime is not ready', () => {
    const s = nodeStatus({ cfg: cfg(), host, previous: [], now: 't0',
      runtime: { ...ready, ready: false, message: 'NetworkReady=false' } });
    const r = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(r?.status, 'False');
    assert.equal(r?.reason, 'KubeletNotReady');
    assert.equal(r?.message, 'NetworkReady=false');
  });

  it('keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
    const first = nodeStatus({ cfg: cfg(), host, runtime: ready, previous: [], now: 't0' });
    const same = nodeStatus({ cfg: cfg(), host, runtime: ready, previous: first.conditions ?? [],
      now: 't1' });
    const r1 = same.conditions?.find((c) => c.type === 'Ready');
    assert.equal(r1?.lastTransitionTime, 't0');
    assert.equal(r1?.lastHeartbeatTime, 't1');
    assert.equal(statusChanged(first, same), false, 'heartbeats alone are no change');
    const down = nodeStatus({ cfg: cfg(), host, previous: same.conditions ?? [], now: 't2',
      runtime: { ...ready, ready: false, message: 'down' } });
    assert.equal(down.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, 't2');
    assert.equal(statusChanged(same, down), true);
  });

  it('reconciles an existing node: missing labels, master taint, podCIDRs; else nothing', () => {
    const c = cfg({ role: 'master', podCidrs: ['127.64.1.0/24'] });
    const existing = { metadata: { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' } },
      spec: { taints: [{ key: 'x', effect: 'NoExecute' as const }] } };
    const patch = reconcilePatch(existing, c, host) as {
      metadata: { labels: Record<string, string> }; spec: { taints: unknown[]; podCIDRs: string[] };
    };
    assert.equal(patch.metadata.labels['kubernetes.io/os'], 'linux');
    assert.equal(patch.metadata.labels['kubernetes.io/hostname'], undefined);
    assert.equal(patch.spec.taints.length, 2);
    assert.deepEqual(patch.spec.podCIDRs, ['127.64.1.0/24']);
    assert.equal(reconcilePatch(newNodeObject(c, host, {}), c, host), undefined);
  });
});

/**
 * The Endpoints plan, pure: inputs filled by hand, the planned writes compared.
 */
import assert from 'node:assert/strict';
import type { Endpoints } from '../../../src/api/core/v1/endpoints.js';
import { type EndpointsAction, planEndpoints } from '../../../src/controllers/endpoints/plan.js';
import { desiredSubsets } from '../../../src/controllers/endpoints/subsets.js';
import { truncateSubsets } from '../../../src/controllers/endpoints/truncate.js';
import { pod, svc } from './fixtures.js';

const ref = (name: string) => ({ kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` });

function only(actions: EndpointsAction[]): EndpointsAction {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  return actions[0]!;
}

function written(actions: EndpointsAction[]): Endpoints {
  const a = only(actions);
  assert.ok(a.verb !== 'delete');
  return a.object;
}

describe('endpoints plan', () => {
  it('creates Endpoints with ready and not-ready addresses, named port resolved per pod', () => {
    const pods = [
      pod('b', { ip: '127.0.2.2', node: 'n2' }),
      pod('a', { ip: '127.0.2.1' }),
      pod('c', { ip: '127.0.2.3', ready: false }),
      pod('other', { ip: '127.0.2.9', labels: { app: 'db' } }),
    ];
    const a = only(planEndpoints({ namespace: 'default', name: 'web', service: svc(), pods,
      current: undefined }));
    assert.equal(a.verb, 'create');
    assert.ok(a.verb === 'create');
    assert.deepEqual(a.object.metadata.name, 'web');
    assert.deepEqual(a.object.metadata.labels, {});
    const trigger = 'endpoints.kubernetes.io/last-change-trigger-time';
    assert.equal(a.object.metadata.annotations?.[trigger], '2026-01-01T00:01:00Z');
    assert.deepEqual(a.object.subsets, [{
      addresses: [
        { ip: '127.0.2.1', nodeName: 'n1', targetRef: ref('a') },
        { ip: '127.0.2.2', nodeName: 'n2', targetRef: ref('b') },
      ],
      notReadyAddresses: [{ ip: '127.0.2.3', nodeName: 'n1', targetRef: ref('c') }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
  });

  it('groups pods by the ports they serve; a pod lacking a named port serves the rest', () => {
    const service = svc({ ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9100, protocol: 'TCP', appProtocol: 'http' },
      { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' },
    ] });
    const pods = [
      pod('full', { ip: '127.0.2.1', ports: [{ name: 'http', containerPort: 8080 },
        { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      // "dns" exists but as TCP: the protocol must match too.
      pod('part', { ip: '127.0.2.2', ports: [{ name: 'http', containerPort: 8081 },
        { name: 'dns', containerPort: 5353 }] }),
    ];
    const subsets = desiredSubsets(service, pods);
    assert.deepEqual(subsets.map((s) => [s.addresses?.map((a) => a.ip), s.ports]), [
      [['127.0.2.1'], [
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9100, protocol: 'TCP', appProtocol: 'http' },
      ]],
      [['127.0.2.2'], [
        { name: 'http', port: 8081, protocol: 'TCP' },
        { name: 'metrics', port: 9100, protocol: 'TCP', appProtocol: 'http' },
      ]],
    ]);
  });

  it('skips pods without an IP, terminating pods and finished pods that never restart', () => {
    const pods = [
      pod('noip', { ip: '' }),
      pod('going', { ip: '127.0.2.2', deleting: true }),
      pod('done', { ip: '127.0.2.3', phase: 'Succeeded', restartPolicy: 'Never' }),
      pod('failed-restarts', { ip: '127.0.2.4', phase: 'Failed', restartPolicy: 'OnFailure',
        ready: false }),
    ];
    const subsets = desiredSubsets(svc(), pods);
    assert.deepEqual(subsets, [{
      notReadyAddresses: [{ ip: '127.0.2.4', nodeName: 'n1', targetRef: ref('failed-restarts') }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
  });

  it('publishNotReadyAddresses counts every pod ready, terminating ones included', () => {
    const service = svc({ publishNotReadyAddresses: true });
    const subsets = desiredSubsets(service, [pod('a', { ready: false, ip: '127.0.2.1' }),
      pod('b', { deleting: true, ip: '127.0.2.2' })]);
    assert.deepEqual(subsets[0]?.addresses?.map((a) => a.ip), ['127.0.2.1', '127.0.2.2']);
    assert.equal(subsets[0]?.notReadyAddresses, undefined);
  });

  it('headless: hostname for pods under the subdomain, headless label, no ports allowed', () => {
    const service = svc({ clusterIP: 'None', ports: [], labels: { team: 'x' } });
    const pods = [pod('a', { ip: '127.0.2.1', hostname: 'a-0', subdomain: 'web' }),
      pod('b', { ip: '127.0.2.2', hostname: 'b-0', subdomain: 'other' })];
    const ep = written(planEndpoints({ namespace: 'default', name: 'web', service, pods,
      current: undefined }));
    assert.deepEqual(ep.metadata.labels, { team: 'x', 'service.kubernetes.io/headless': '' });
    assert.deepEqual(ep.subsets, [{ addresses: [
      { ip: '127.0.2.1', hostname: 'a-0', nodeName: 'n1', targetRef: ref('a') },
      { ip: '127.0.2.2', nodeName: 'n1', targetRef: ref('b') },
    ] }]);
  });

  it('a sync over what is stored writes nothing, even from the server in another order', () => {
    const pods = [pod('a', { ip: '127.0.2.1' }), pod('b', { ip: '127.0.2.2', ready: false })];
    const first = written(planEndpoints({ namespace: 'default', name: 'web', service: svc(),
      pods, current: undefined }));
    // As read back: resourceVersion set, pod resourceVersions in references, keys reordered.
    const stored: Endpoints = JSON.parse(JSON.stringify({ ...first,
      metadata: { ...first.metadata, resourceVersion: '20' } }));
    const ready = stored.subsets![0]!.addresses![0]!;
    stored.subsets![0]!.addresses![0] = { targetRef: { ...ready.targetRef, resourceVersion: '9' },
      nodeName: ready.nodeName!, ip: ready.ip };
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: svc(), pods,
      current: stored }), []);
    // A pod turning ready is a change: an update from the stored object.
    const later = [pod('a', { ip: '127.0.2.1' }), pod('b', { ip: '127.0.2.2' })];
    const up = only(planEndpoints({ namespace: 'default', name: 'web', service: svc(),
      pods: later, current: stored }));
    assert.equal(up.verb, 'update');
    assert.ok(up.verb === 'update');
    assert.equal(up.object.metadata.resourceVersion, '20');
    assert.deepEqual(up.object.subsets?.[0]?.addresses?.map((x) => x.ip), ['127.0.2.1',
      '127.0.2.2']);
    assert.equal(up.object.subsets?.[0]?.notReadyAddresses, undefined);
  });

  it('a Service label change updates the Endpoints labels', () => {
    const current = written(planEndpoints({ namespace: 'default', name: 'web', service: svc(),
      pods: [], current: undefined }));
    const ep = written(planEndpoints({ namespace: 'default', name: 'web',
      service: svc({ labels: { tier: 'front' } }), pods: [], current }));
    assert.deepEqual(ep.metadata.labels, { tier: 'front' });
  });

  it('Service gone: delete its Endpoints, unless none or a leader-election lock', () => {
    const current: Endpoints = { metadata: { name: 'web', namespace: 'default' } };
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: undefined,
      pods: [], current }), [{ verb: 'delete', namespace: 'default', name: 'web' }]);
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: undefined,
      pods: [], current: undefined }), []);
    const lock: Endpoints = { metadata: { name: 'web', namespace: 'default',
      annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } } };
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: undefined,
      pods: [], current: lock }), []);
  });

  it('Services without a selector, and ExternalName ones, are left alone', () => {
    const current: Endpoints = { metadata: { name: 'web', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '127.0.1.1' }], ports: [{ port: 6443 }] }] };
    const noSelector = svc({ selector: {} });
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: noSelector,
      pods: [pod('a')], current }), []);
    const external = svc();
    external.spec = { ...external.spec, type: 'ExternalName', externalName: 'x.example' };
    assert.deepEqual(planEndpoints({ namespace: 'default', name: 'web', service: external,
      pods: [pod('a')], current: undefined }), []);
  });

  it('over capacity: truncated with the annotation, ready first; stable once stored', () => {
    const pods = [1, 2, 3, 4, 5].map((i) => pod(`r${i}`, { ip: `127.0.2.${i}` }))
      .concat([6, 7, 8].map((i) => pod(`n${i}`, { ip: `127.0.2.${i}`, ready: false })));
    const input = { namespace: 'default', name: 'web', service: svc(), pods, capacity: 6 };
    const ep = written(planEndpoints({ ...input, current: undefined }));
    assert.equal(ep.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated');
    assert.equal(ep.subsets?.[0]?.addresses?.length, 5);
    assert.deepEqual(ep.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip), ['127.0.2.6']);
    const stored = { ...ep, metadata: { ...ep.metadata, resourceVersion: '3' } };
    assert.deepEqual(planEndpoints({ ...input, current: stored }), []);
    // Back under capacity: the annotation goes.
    const under = written(planEndpoints({ ...input, capacity: 100, current: stored }));
    assert.equal(under.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'], undefined);
  });

  it('truncation shares capacity among subsets in proportion, rounding up', () => {
    const addrs = (n: number, p: string) => Array.from({ length: n },
      (_, i) => ({ ip: `127.0.${p}.${i}` }));
    const out = truncateSubsets([{ addresses: addrs(6, '3') }, { addresses: addrs(3, '4') },
      { addresses: addrs(1, '5'), notReadyAddresses: addrs(2, '6') }], 5);
    assert.ok(out.truncated);
    assert.deepEqual(out.subsets.map((s) => [s.addresses?.length, s.notReadyAddresses]),
      [[3, undefined], [2, undefined]]);
  });
});

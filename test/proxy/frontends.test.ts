import assert from 'node:assert/strict';
import type { Service } from '../../src/api/core/v1/service.js';
import type { EndpointSlice } from '../../src/api/discovery/v1/endpoint-slice.js';
import { frontendsOf } from '../../src/proxy/frontends.js';
import { BackendPicker } from '../../src/proxy/backend-picker.js';

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec };
}

function slice(name: string, service: string, o: Partial<EndpointSlice> = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ...o,
  };
}

describe('proxy frontends (pure)', () => {
  const web = svc('web', {
    type: 'NodePort', clusterIP: '127.96.0.20',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP', nodePort: 30080 }, { name: 'dns', port: 5353, protocol: 'UDP' }],
  });
  const slices = [
    slice('web-a', 'web', {
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
      endpoints: [
        { addresses: ['127.64.1.3'], conditions: { ready: true } },
        { addresses: ['127.64.1.2'] },
        { addresses: ['127.64.1.9'], conditions: { ready: false } },
      ],
    }),
    // The same endpoint in a second slice counts once; an IPv6 slice is ignored.
    slice('web-b', 'web', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['127.64.1.2'] }] }),
    slice('web-c', 'web', { addressType: 'IPv6', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['::1'] }] }),
  ];

  it('gives each Service port a ClusterIP frontend and a NodePort one, with ready backends matched by port name and protocol', () => {
    const fs = frontendsOf({ services: [web], slices, nodeIp: '127.0.2.1' });
    assert.deepEqual(fs.map((f) => f.key), [
      'TCP 127.0.2.1:30080', 'TCP 127.96.0.20:8080', 'UDP 127.96.0.20:5353',
    ]);
    const http = fs.find((f) => f.key === 'TCP 127.96.0.20:8080');
    assert.equal(http?.servicePort, 'default/web:http');
    assert.deepEqual(http?.backends, [{ ip: '127.64.1.2', port: 80 }, { ip: '127.64.1.3', port: 80 }]);
    assert.deepEqual(fs.find((f) => f.protocol === 'UDP')?.backends, [
      { ip: '127.64.1.2', port: 53 }, { ip: '127.64.1.3', port: 53 },
    ]);
  });

  it('serves nothing for headless, ExternalName, non-loopback or SCTP services, and keeps a frontend without backends', () => {
    const fs = frontendsOf({
      services: [
        svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('ext', { type: 'ExternalName', externalName: 'example.org' }),
        svc('foreign', { clusterIP: '10.0.0.1', ports: [{ port: 80 }] }),
        svc('sctp', { clusterIP: '127.96.0.30', ports: [{ port: 9, protocol: 'SCTP' }] }),
        svc('empty', { clusterIP: '127.96.0.31', ports: [{ port: 81 }] }),
      ],
      slices: [],
      nodeIp: '127.0.2.1',
    });
    assert.deepEqual(fs.map((f) => [f.key, f.backends.length]), [['TCP 127.96.0.31:81', 0]]);
  });

  it('reads ClientIP affinity in milliseconds', () => {
    const fs = frontendsOf({
      services: [svc('s', { clusterIP: '127.96.0.40', sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 1 }] })],
      slices: [], nodeIp: '127.0.2.1',
    });
    assert.equal(fs[0]?.affinityMs, 5000);
  });
});

describe('proxy backend picker (pure)', () => {
  const a = { ip: '127.64.0.2', port: 80 };
  const b = { ip: '127.64.0.3', port: 80 };

  it('rotates over the backends and has none to give when empty', () => {
    const p = new BackendPicker(0);
    assert.equal(p.pick('c', 0), undefined);
    p.update([a, b], 0);
    assert.deepEqual([p.pick('c', 0), p.pick('c', 0), p.pick('c', 0)], [a, b, a]);
    assert.deepEqual(p.after(a), b);
    assert.deepEqual(p.after(b), a);
  });

  it('keeps a client on its backend under ClientIP affinity until it expires or the backend goes', () => {
    const p = new BackendPicker(1000);
    p.update([a, b], 1000);
    const first = p.pick('10', 0);
    assert.deepEqual(p.pick('10', 500), first);
    assert.notDeepEqual(p.pick('11', 600), first); // another client moves the rotation
    assert.deepEqual(p.pick('10', 1400), first); // refreshed at 500
    p.update([first === a ? b : a], 1000);
    assert.deepEqual(p.pick('10', 1500), first === a ? b : a);
  });
});

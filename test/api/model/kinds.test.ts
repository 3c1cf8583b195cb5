import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/api/meta.js';
import { RESOURCES } from '../../../src/api/resources.js';
import { strategyFor } from '../../../src/api/strategies.js';
import { created, updated } from './helpers.js';

describe('strategyFor', () => {
  it('covers every served kind, and throws for others', () => {
    for (const r of RESOURCES) assert.ok(strategyFor(r.group, r.kind), r.kind);
    assert.throws(() => strategyFor('', 'Widget'), /no strategy for kind Widget/);
  });

  it('status and generation flags follow upstream', () => {
    const flags = Object.fromEntries(RESOURCES.map((r) => {
      const s = strategyFor(r.group, r.kind);
      return [r.kind, `${s.hasStatus ? 'status' : '-'}/${s.specFields.join(',') || '-'}`];
    }));
    assert.deepEqual(flags, {
      Pod: 'status/spec', Service: 'status/-', Endpoints: '-/-', Namespace: 'status/-', Node: 'status/-',
      ConfigMap: '-/-', Secret: '-/-', ServiceAccount: '-/-', Event: '-/-',
      DaemonSet: 'status/spec', Deployment: 'status/spec', ReplicaSet: 'status/spec', Job: 'status/spec',
      Lease: '-/-', EndpointSlice: '-/-',
    });
  });

  it('defaulting is idempotent for a representative object of every kind', () => {
    const samples: [string, string, object][] = [
      ['', 'Service', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }], selector: { app: 'a' } } }],
      ['', 'Secret', { metadata: { name: 's' }, stringData: { a: 'b' } }],
      ['', 'Namespace', { metadata: { name: 'n' } }],
      ['', 'Endpoints', { metadata: { name: 'e' }, subsets: [{ ports: [{ port: 80 }] }] }],
      ['apps', 'DaemonSet', { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } } }],
      ['batch', 'Job', { metadata: { name: 'j', uid: 'u' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } } }],
      ['discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' }, addressType: 'IPv4', ports: [{ port: 80 }] }],
    ];
    for (const [g, k, o] of samples) {
      const s = strategyFor(g, k);
      const once = structuredClone(o) as KubeObject;
      s.applyDefaults(once);
      const twice = structuredClone(once);
      s.applyDefaults(twice);
      assert.deepEqual(twice, once, k);
    }
  });
});

describe('Service', () => {
  it('defaults type, affinity, protocol, targetPort, policies and IP family', () => {
    const { obj, errs } = created('', 'Service', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  const table: [string, object, string[]][] = [
    ['name must be a DNS-1035 label', { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } }, [
      'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or ' +
        "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', " +
        "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]],
    ['ports required', { metadata: { name: 'web' }, spec: {} }, ['spec.ports: Required value']],
    ['headless needs no ports', { metadata: { name: 'web' }, spec: { clusterIP: 'None' } }, []],
    ['port names required when several', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }, { port: 443, name: 'https' }] } }, [
      'spec.ports[0].name: Required value',
    ]],
    ['duplicate port names', { metadata: { name: 'web' }, spec: { ports: [{ port: 80, name: 'a' }, { port: 81, name: 'a' }] } }, [
      'spec.ports[1].name: Duplicate value: "a"',
    ]],
    ['bad type', { metadata: { name: 'web' }, spec: { type: 'Magic', ports: [{ port: 80 }] } }, [
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]],
    ['bad selector', { metadata: { name: 'web' }, spec: { selector: { app: 'a b' }, ports: [{ port: 80 }] } }, [
      'spec.selector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, ' +
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or " +
        "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]],
    ['port out of range', { metadata: { name: 'web' }, spec: { ports: [{ port: 0, targetPort: 8080 }] } }, [
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]],
  ];
  for (const [name, manifest, want] of table) {
    it(name, () => assert.deepEqual(created('', 'Service', manifest).errs, want));
  }

  it('an allocated clusterIP may not change', () => {
    const stored = created('', 'Service', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }).obj;
    Object.assign(stored.spec as object, { clusterIP: '127.96.0.10', clusterIPs: ['127.96.0.10'] });
    const next = structuredClone(stored);
    Object.assign(next.spec as object, { clusterIP: '127.96.0.11', clusterIPs: ['127.96.0.11'] });
    assert.deepEqual(updated('', 'Service', next, stored), [
      'spec.clusterIPs[0]: Invalid value: []string{"127.96.0.11"}: may not change once set',
    ]);
  });
});

describe('ConfigMap and Secret', () => {
  it('keys must be config keys; 1 MiB total', () => {
    assert.deepEqual(created('', 'ConfigMap', { metadata: { name: 'c' }, data: { 'a/b': 'x' } }).errs, [
      "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' " +
        "(e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    assert.deepEqual(created('', 'ConfigMap', { metadata: { name: 'c' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } }).errs, [
      ': Too long: must have at most 1048576 bytes',
    ]);
  });

  it('immutable data stays immutable', () => {
    const stored = created('', 'ConfigMap', { metadata: { name: 'c' }, data: { a: '1' }, immutable: true }).obj;
    const next = { ...structuredClone(stored), data: { a: '2' } };
    assert.deepEqual(updated('', 'ConfigMap', next, stored), ['data: Forbidden: field is immutable when `immutable` is set']);
  });

  it('Secret: type Opaque, stringData folded into base64 data, TLS keys required, type immutable', () => {
    const { obj, errs } = created('', 'Secret', { metadata: { name: 's' }, stringData: { password: 'hunter2' } });
    assert.deepEqual(errs, []);
    assert.equal(obj.type, 'Opaque');
    assert.deepEqual(obj.data, { password: 'aHVudGVyMg==' });
    assert.equal(obj.stringData, undefined);
    assert.deepEqual(created('', 'Secret', { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }).errs, [
      'data[tls.key]: Required value',
    ]);
    const errs2 = updated('', 'Secret', { ...obj, type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': 'eA==' } }, obj);
    assert.deepEqual(errs2, ['type: Invalid value: "kubernetes.io/ssh-auth": field is immutable']);
    assert.deepEqual(strategyFor('', 'Secret').fieldLabels(obj), { type: 'Opaque' });
  });
});

describe('Namespace, Node, Event, Lease, Endpoints, EndpointSlice', () => {
  it('Namespace: a DNS label, Active, finalized by "kubernetes"', () => {
    const { obj, errs } = created('', 'Namespace', { metadata: { name: 'team-a' } });
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(obj.status, { phase: 'Active' });
    assert.match(created('', 'Namespace', { metadata: { name: 'a.b' } }).errs[0] ?? '', /^metadata\.name: Invalid value: "a\.b": must not contain dots$/);
    assert.deepEqual(strategyFor('', 'Namespace').fieldLabels(obj), { 'status.phase': 'Active' });
  });

  it('Node: cluster-scoped, taints checked, spec.unschedulable selectable', () => {
    const { obj, errs } = created('', 'Node', { metadata: { name: 'w1' }, spec: { unschedulable: true, taints: [{ key: 'k', effect: 'Sometimes' }] } });
    assert.deepEqual(errs, ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"']);
    assert.deepEqual(strategyFor('', 'Node').fieldLabels(obj), { 'spec.unschedulable': 'true' });
  });

  it('Event: involvedObject namespace must match; selectable by involvedObject fields', () => {
    const ev = { metadata: { name: 'web.1' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'other', uid: 'u' }, reason: 'Started', type: 'Normal', source: { component: 'kubelet' } };
    const { obj, errs } = created('', 'Event', ev);
    assert.deepEqual(errs, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    const labels = strategyFor('', 'Event').fieldLabels(obj);
    assert.equal(labels['involvedObject.name'], 'web');
    assert.equal(labels['involvedObject.kind'], 'Pod');
    assert.equal(labels.source, 'kubelet');
    assert.equal(labels.reason, 'Started');
  });

  it('Lease: positive duration', () => {
    assert.deepEqual(created('coordination.k8s.io', 'Lease', { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } }).errs, [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });

  it('Endpoints: IPs and port protocol default', () => {
    const { obj, errs } = created('', 'Endpoints', { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: 'nope' }], ports: [{ port: 80 }] }] });
    assert.deepEqual(errs, ['subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    assert.equal((obj.subsets as { ports: { protocol: string }[] }[])[0]?.ports[0]?.protocol, 'TCP');
  });

  it('EndpointSlice: addressType required, known and immutable', () => {
    assert.deepEqual(created('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' } }).errs, ['addressType: Required value']);
    const stored = created('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['127.0.2.1'] }] });
    assert.deepEqual(stored.errs, []);
    assert.deepEqual(updated('discovery.k8s.io', 'EndpointSlice', { ...stored.obj, addressType: 'IPv6' }, stored.obj), [
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });

  it('field labels of pods, replicasets and jobs', () => {
    const p = created('', 'Pod', { metadata: { name: 'p' }, spec: { nodeName: 'w1', containers: [{ name: 'a', image: 'b' }] } }).obj;
    assert.deepEqual(strategyFor('', 'Pod').fieldLabels(p), {
      'spec.nodeName': 'w1', 'spec.restartPolicy': 'Always', 'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default', 'spec.hostNetwork': 'false', 'status.phase': 'Pending',
      'status.podIP': '', 'status.nominatedNodeName': '',
    });
    assert.deepEqual(strategyFor('apps', 'ReplicaSet').fieldLabels({ metadata: {}, status: { replicas: 3 } }), { 'status.replicas': '3' });
    assert.deepEqual(strategyFor('batch', 'Job').fieldLabels({ metadata: {}, status: { succeeded: 1 } }), { 'status.successful': '1' });
  });
});

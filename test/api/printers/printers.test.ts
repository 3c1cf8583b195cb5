/**
 * Table printers: exact column sets and cells for each kind, as kube-apiserver renders them
 * (always wide), and the Table document toTable builds around them.
 */
import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/api/meta.js';
import { defaultPrinter, printerFor, toTable } from '../../../src/api/printers/index.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const CREATED = '2025-06-01T11:55:00Z';

function obj(fields: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'x', creationTimestamp: CREATED, ...meta }, ...fields };
}

function cells(group: string, resource: string, o: KubeObject): unknown[] {
  return printerFor(group, resource).cells(o, NOW);
}

function names(group: string, resource: string): string[] {
  return printerFor(group, resource).columns.map((c) => `${c.name}${c.priority ? '*' : ''}`);
}

describe('printers: column sets', () => {
  const cases: [string, string, string][] = [
    ['', 'pods', 'Name Ready Status Restarts Age IP* Node* Nominated Node* Readiness Gates*'],
    ['', 'nodes', 'Name Status Roles Age Version Internal-IP* External-IP* OS-Image* ' +
      'Kernel-Version* Container-Runtime*'],
    ['', 'services', 'Name Type Cluster-IP External-IP Port(s) Age Selector*'],
    ['', 'endpoints', 'Name Endpoints Age'],
    ['', 'namespaces', 'Name Status Age'],
    ['', 'configmaps', 'Name Data Age'],
    ['', 'secrets', 'Name Type Data Age'],
    ['', 'serviceaccounts', 'Name Secrets Age'],
    ['', 'events', 'Last Seen Type Reason Object Subobject* Source* Message First Seen* Count* ' +
      'Name*'],
    ['apps', 'deployments', 'Name Ready Up-to-date Available Age Containers* Images* Selector*'],
    ['apps', 'replicasets', 'Name Desired Current Ready Age Containers* Images* Selector*'],
    ['apps', 'daemonsets', 'Name Desired Current Ready Up-to-date Available Node Selector Age ' +
      'Containers* Images* Selector*'],
    ['batch', 'jobs', 'Name Status Completions Duration Age Containers* Images* Selector*'],
    ['coordination.k8s.io', 'leases', 'Name Holder Age'],
    ['discovery.k8s.io', 'endpointslices', 'Name AddressType Ports Endpoints Age'],
    ['example.com', 'widgets', 'Name Created At'],
  ];
  for (const [g, r, want] of cases) {
    it(`${g || 'core'}/${r}`, () => assert.equal(names(g, r).join(' '), want));
  }
  it('every printer renders one cell per column for an empty object', () => {
    for (const [g, r] of cases) {
      const p = printerFor(g, r);
      assert.equal(p.cells({ metadata: {} }, NOW).length, p.columns.length, `${g}/${r}`);
    }
  });
});

function pod(status: Record<string, unknown>, specExtra: Record<string, unknown> = {},
  meta: Record<string, unknown> = {}): KubeObject {
  return obj({ spec: { containers: [{ name: 'a' }, { name: 'b' }], ...specExtra }, status }, meta);
}

const running = (ready: boolean, restarts = 0): Record<string, unknown> => ({
  ready, restartCount: restarts, state: { running: { startedAt: CREATED } },
});

describe('printers: pod STATUS, READY, RESTARTS', () => {
  const cases: [string, KubeObject, string, string, string][] = [
    ['pending', pod({ phase: 'Pending' }), '0/2', 'Pending', '0'],
    ['running', pod({ phase: 'Running', containerStatuses: [running(true), running(true)] }),
      '2/2', 'Running', '0'],
    ['crash loop', pod({ phase: 'Running', containerStatuses: [running(true), {
      restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, finishedAt: '2025-06-01T11:58:00Z' } } }] }),
    '1/2', 'CrashLoopBackOff', '3 (2m ago)'],
    ['init waiting', pod({ phase: 'Pending', initContainerStatuses: [
      { state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { state: { waiting: { reason: 'PodInitializing' } } }] },
    { initContainers: [{ name: 'i1' }, { name: 'i2' }] }), '0/2', 'Init:1/2', '0'],
    ['init failed', pod({ phase: 'Pending', initContainerStatuses: [
      { state: { terminated: { exitCode: 2 } } }] }, { initContainers: [{ name: 'i1' }] }),
    '0/2', 'Init:ExitCode:2', '0'],
    ['init crash', pod({ phase: 'Pending', initContainerStatuses: [
      { state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    { initContainers: [{ name: 'i' }] }),
    '0/2', 'Init:CrashLoopBackOff', '0'],
    ['sidecar counts', pod({ phase: 'Running', initContainerStatuses: [
      { name: 's', started: true, ready: true, restartCount: 1, state: { running: {} } }],
    containerStatuses: [running(true), running(true)],
    conditions: [{ type: 'Initialized', status: 'True' }] },
    { initContainers: [{ name: 's', restartPolicy: 'Always' }] }), '3/3', 'Running', '1'],
    ['completed', pod({ phase: 'Succeeded', containerStatuses: [
      { state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), '0/2', 'Completed', '0'],
    ['completed but one running and ready', pod({ phase: 'Running', containerStatuses: [
      { state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running(true)],
    conditions: [{ type: 'Ready', status: 'True' }] }), '1/2', 'Running', '0'],
    ['completed, one running, not ready', pod({ phase: 'Running', containerStatuses: [
      { state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running(true)] }),
    '1/2', 'NotReady', '0'],
    ['signal', pod({ phase: 'Failed', containerStatuses: [
      { state: { terminated: { exitCode: 137, signal: 9 } } }] }), '0/2', 'Signal:9', '0'],
    ['terminating', pod({ phase: 'Running', containerStatuses: [running(true), running(true)] },
      {}, { deletionTimestamp: CREATED }), '2/2', 'Terminating', '0'],
    ['node lost', pod({ phase: 'Running', reason: 'NodeLost' }, {},
      { deletionTimestamp: CREATED }), '0/2', 'Unknown', '0'],
    ['scheduling gated', pod({ phase: 'Pending', conditions: [
      { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
    '0/2', 'SchedulingGated', '0'],
    ['evicted', pod({ phase: 'Failed', reason: 'Evicted' }), '0/2', 'Evicted', '0'],
  ];
  for (const [title, p, ready, status, restarts] of cases) {
    it(title, () => assert.deepEqual(cells('', 'pods', p).slice(1, 4), [ready, status, restarts]));
  }

  it('wide cells: IP, node, nominated node, readiness gates', () => {
    const p = pod({ phase: 'Running', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
      conditions: [{ type: 'gate/a', status: 'True' }, { type: 'gate/b', status: 'False' }] },
    { nodeName: 'n1', readinessGates: [{ conditionType: 'gate/a' }, { conditionType: 'gate/b' }] });
    assert.deepEqual(cells('', 'pods', p).slice(4), ['5m', '10.0.0.5', 'n1', '<none>', '1/2']);
    assert.deepEqual(cells('', 'pods', pod({})).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  });

  it('finished pods carry a Completed row condition', () => {
    const t = toTable(printerFor('', 'pods'), [pod({ phase: 'Succeeded' })], NOW, 'None', {});
    assert.deepEqual(t.rows[0]?.conditions, [{ type: 'Completed', status: 'True',
      reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  });
});

describe('printers: other kinds', () => {
  it('node: status, roles, versions, addresses', () => {
    const n = obj({ spec: { unschedulable: true }, status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } },
    { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '',
      'kubernetes.io/role': 'edge' } });
    assert.deepEqual(cells('', 'nodes', n), ['x', 'Ready,SchedulingDisabled',
      'control-plane,edge,worker', '5m', 'v1.32.0', '10.0.0.1', '<none>', 'Debian', '<unknown>',
      '<unknown>']);
    assert.deepEqual(cells('', 'nodes', obj({})).slice(1, 3), ['Unknown', '<none>']);
    const notReady = obj({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } });
    assert.equal(cells('', 'nodes', notReady)[1], 'NotReady');
  });

  it('service: types, ports, selector', () => {
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): unknown[] =>
      cells('', 'services', obj({ spec, status }));
    assert.deepEqual(svc({ type: 'ClusterIP', clusterIPs: ['10.96.0.10'],
      ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      selector: { 'k8s-app': 'kube-dns' } }),
    ['x', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '5m', 'k8s-app=kube-dns']);
    assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.96.0.2'], externalIPs: ['1.2.3.4'],
      ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).slice(2, 5),
    ['10.96.0.2', '1.2.3.4', '80:30080/TCP']);
    assert.equal(svc({ type: 'LoadBalancer' })[3], '<pending>');
    assert.equal(svc({ type: 'LoadBalancer', externalIPs: ['9.9.9.9'] }, { loadBalancer: {
      ingress: [{ hostname: 'a-very-long-load-balancer.example.com' }, { ip: '5.6.7.8' }] } })[3],
    '5.6.7.8,a-very-long-load-balancer.example.com,9.9.9.9');
    assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(2, 5),
      ['<none>', 'db.example.com', '<none>']);
  });

  it('endpoints: three entries then "+ N more..."', () => {
    const addrs = (...ips: string[]): unknown[] => ips.map((ip) => ({ ip }));
    const ep = obj({ subsets: [{ addresses: addrs('10.0.0.1', '10.0.0.2'),
      ports: [{ port: 80 }, { port: 443 }] }] });
    assert.equal(cells('', 'endpoints', ep)[1],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
    const headless = obj({ subsets: [{ addresses: addrs('fd00::1') }] });
    assert.equal(cells('', 'endpoints', headless)[1], 'fd00::1');
    const v6 = obj({ subsets: [{ addresses: addrs('fd00::1'), ports: [{ port: 80 }] }] });
    assert.equal(cells('', 'endpoints', v6)[1], '[fd00::1]:80');
    assert.equal(cells('', 'endpoints', obj({}))[1], '<none>');
  });

  it('endpoint slice: ports and addresses', () => {
    const s = obj({ addressType: 'IPv4', ports: [{ port: 80 }, { name: 'dns' }, {}],
      endpoints: [{ addresses: ['10.0.0.1'] },
        { addresses: ['10.0.0.2', '10.0.0.3', '10.0.0.4'] }] });
    assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', s).slice(1, 4),
      ['IPv4', '80,dns,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...']);
    assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', obj({})).slice(2, 4),
      ['<unset>', '<unset>']);
  });

  it('deployment, replica set, daemon set', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { nodeSelector: { disk: 'ssd' },
      containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };
    const selector = { matchLabels: { app: 'web' } };
    const d = obj({ spec: { replicas: 3, selector, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } });
    assert.deepEqual(cells('apps', 'deployments', d),
      ['x', '2/3', 3, 2, '5m', 'web,log', 'nginx:1.27,busybox', 'app=web']);
    const rs = obj({ spec: { replicas: 2, selector, template }, status: { replicas: 2 } });
    assert.deepEqual(cells('apps', 'replicasets', rs), ['x', 2, 2, 0, '5m', 'web,log',
      'nginx:1.27,busybox', 'app=web']);
    const ds = obj({ spec: { selector, template }, status: { desiredNumberScheduled: 3,
      currentNumberScheduled: 3, numberReady: 1, updatedNumberScheduled: 3, numberAvailable: 1 } });
    assert.deepEqual(cells('apps', 'daemonsets', ds).slice(1, 8),
      [3, 3, 1, 3, 1, 'disk=ssd', '5m']);
  });

  it('job: status, completions, duration', () => {
    const job = (spec: Record<string, unknown>, status: Record<string, unknown>,
      meta: Record<string, unknown> = {}): unknown[] =>
      cells('batch', 'jobs', obj({ spec, status }, meta)).slice(1, 4);
    assert.deepEqual(job({ completions: 3 }, { succeeded: 1, startTime: '2025-06-01T11:58:00Z' }),
      ['Running', '1/3', '2m']);
    assert.deepEqual(job({ parallelism: 2 }, { succeeded: 0 }), ['Running', '0/1 of 2', '']);
    assert.deepEqual(job({ completions: 1 }, { succeeded: 1, startTime: '2025-06-01T11:00:00Z',
      completionTime: '2025-06-01T11:00:42Z', conditions: [{ type: 'Complete', status: 'True' }] }),
    ['Complete', '1/1', '42s']);
    assert.equal(job({}, { conditions: [{ type: 'Failed', status: 'True' }] })[0], 'Failed');
    assert.equal(job({}, {}, { deletionTimestamp: CREATED })[0], 'Terminating');
    assert.equal(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] })[0], 'Suspended');
  });

  it('event: last seen, object, source, count', () => {
    const ev = obj({ type: 'Warning', reason: 'BackOff', message: ' Back-off restarting \n',
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
      source: { component: 'kubelet', host: 'n1' }, count: 4,
      firstTimestamp: '2025-06-01T11:00:00Z', lastTimestamp: '2025-06-01T11:59:30Z' });
    assert.deepEqual(cells('', 'events', ev), ['30s', 'Warning', 'BackOff', 'pod/web',
      'spec.containers{web}', 'kubelet, n1', 'Back-off restarting', '60m', 4, 'x']);
    const newApi = obj({ eventTime: '2025-06-01T11:59:00.000000Z', reportingController: 'sched',
      involvedObject: { kind: 'Node' } });
    assert.deepEqual(cells('', 'events', newApi).slice(0, 9), ['60s', '', '', 'node', '', 'sched',
      '', '60s', 1]);
  });

  it('namespace, configmap, secret, service account, lease', () => {
    assert.deepEqual(cells('', 'namespaces', obj({ status: { phase: 'Active' } })),
      ['x', 'Active', '5m']);
    assert.deepEqual(cells('', 'configmaps', obj({ data: { a: '1' }, binaryData: { b: '' } })),
      ['x', 2, '5m']);
    assert.deepEqual(cells('', 'secrets', obj({ type: 'Opaque', data: { a: 'MQ==' } })),
      ['x', 'Opaque', 1, '5m']);
    assert.deepEqual(cells('', 'serviceaccounts', obj({})), ['x', 0, '5m']);
    assert.deepEqual(cells('coordination.k8s.io', 'leases',
      obj({ spec: { holderIdentity: 'n1' } })),
      ['x', 'n1', '5m']);
  });

  it('default printer: NAME and CREATED AT (date)', () => {
    assert.deepEqual(defaultPrinter.cells(obj({}, { creationTimestamp: '2025-06-01T11:55:00.5Z' }),
      NOW), ['x', '2025-06-01T11:55:00Z']);
    assert.equal(defaultPrinter.columns[1]?.type, 'date');
  });
});

describe('toTable', () => {
  const p = obj({ kind: 'Pod', apiVersion: 'v1', spec: {}, status: {} },
    { namespace: 'default', labels: { app: 'web' }, uid: 'u1', resourceVersion: '9' });

  it('renders the Table envelope with PartialObjectMetadata rows by default', () => {
    const t = toTable(printerFor('', 'pods'), [p], NOW, 'Metadata', { resourceVersion: '12' });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '12' });
    assert.equal(t.columnDefinitions[0]?.format, 'name');
    assert.deepEqual(t.rows[0]?.object, { kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
    assert.equal(t.rows[0]?.conditions, undefined);
  });

  it('includeObject=Object carries the full object; None carries none', () => {
    const bare = { ...p, kind: undefined, apiVersion: undefined } as unknown as KubeObject;
    delete (bare as Record<string, unknown>).kind;
    delete (bare as Record<string, unknown>).apiVersion;
    const full = toTable(printerFor('', 'pods'), [bare], NOW, 'Object', {},
      { apiVersion: 'v1', kind: 'Pod' });
    assert.equal(full.rows[0]?.object?.kind, 'Pod');
    assert.equal(full.rows[0]?.object?.apiVersion, 'v1');
    assert.deepEqual(full.rows[0]?.object?.metadata, p.metadata);
    const none = toTable(printerFor('', 'pods'), [p], NOW, 'None', {});
    assert.equal(none.rows[0]?.object, undefined);
  });
});

/**
 * Discovery and OpenAPI renderings of the resource table: Accept negotiation, exact
 * Content-Types, aggregated v2/v2beta1 bodies, legacy lists with subresources, /version, and the
 * OpenAPI v3 index and PATCH documents kubectl's validation looks for.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { groupVersions } from '../../../src/api/resources.js';
import {
  CONTENT_TYPES, discoveryCore, discoveryGroup, discoveryGroups, discoveryResources,
  discoveryVariant,
} from '../../../src/apiserver/discovery/index.js';
import type { GroupDiscoveryList } from '../../../src/apiserver/discovery/aggregated.js';
import { versionInfo } from '../../../src/apiserver/discovery/version.js';
import {
  openApiDocument, openApiIndex, type OpenApiDocument,
} from '../../../src/apiserver/openapi/index.js';

const K132 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const K127 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,' +
  'application/json';

describe('discovery: Accept negotiation', () => {
  const cases: [string | undefined, string][] = [
    [K132, 'v2'],
    [K127, 'v2beta1'],
    ['application/json', 'legacy'],
    ['application/json, */*', 'legacy'],
    [undefined, 'legacy'],
    ['', 'legacy'],
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'legacy'],
    ['application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList', 'legacy'],
    ['application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      'v2'],
  ];
  for (const [accept, want] of cases) {
    it(`${accept ?? '(none)'} → ${want}`, () => assert.equal(discoveryVariant(accept), want));
  }
  it('content types are exactly what kubectl keys on', () => {
    assert.equal(discoveryCore(K132, 'h:1').contentType,
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(discoveryGroups(K127).contentType,
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(discoveryGroups('application/json').contentType, 'application/json');
    assert.equal(CONTENT_TYPES.legacy, 'application/json');
  });
});

describe('discovery: aggregated documents', () => {
  const core = discoveryCore(K132, 'h:1').body as GroupDiscoveryList;
  const groups = discoveryGroups(K132).body as GroupDiscoveryList;

  it('/api is one nameless core group', () => {
    assert.equal(core.kind, 'APIGroupDiscoveryList');
    assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(core.items.length, 1);
    assert.deepEqual(core.items[0]?.metadata, { creationTimestamp: null });
    const pods = core.items[0]?.versions[0]?.resources.find((r) => r.resource === 'pods');
    assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(pods?.scope, 'Namespaced');
    assert.equal(pods?.singularResource, 'pod');
    assert.deepEqual(pods?.shortNames, ['po']);
    assert.deepEqual(pods?.categories, ['all']);
    const eviction = pods?.subresources?.find((s) => s.subresource === 'eviction');
    assert.deepEqual(eviction?.responseKind, { group: 'policy', version: 'v1', kind: 'Eviction' });
    const nodes = core.items[0]?.versions[0]?.resources.find((r) => r.resource === 'nodes');
    assert.equal(nodes?.scope, 'Cluster');
  });

  it('/apis has one named item per group, versions marked Current', () => {
    assert.deepEqual(groups.items.map((g) => g.metadata.name),
      ['apps', 'batch', 'coordination.k8s.io', 'discovery.k8s.io']);
    const apps = groups.items[0];
    assert.equal(apps?.versions[0]?.version, 'v1');
    assert.equal(apps?.versions[0]?.freshness, 'Current');
    const deploy = apps?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    assert.deepEqual(deploy?.subresources, [
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        verbs: ['get', 'patch', 'update'] },
    ]);
    assert.deepEqual(deploy?.verbs, ['create', 'delete', 'deletecollection', 'get', 'list',
      'patch', 'update', 'watch']);
  });

  it('v2beta1 differs from v2 only in apiVersion', () => {
    const beta = discoveryGroups(K127).body as GroupDiscoveryList;
    assert.deepEqual({ ...beta, apiVersion: 'x' }, { ...groups, apiVersion: 'x' });
    assert.equal(beta.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  });

  it('`get all` order: the all category in discovery order', () => {
    const all = [...core.items, ...groups.items].flatMap((g) => g.versions[0]?.resources ?? [])
      .filter((r) => r.categories?.includes('all')).map((r) => r.resource);
    assert.deepEqual(all, ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'jobs']);
  });
});

describe('discovery: legacy documents', () => {
  it('/api lists v1 and the server address', () => {
    assert.deepEqual(discoveryCore('application/json', '10.0.0.1:6443').body, {
      kind: 'APIVersions', versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  it('/apis and /apis/<g>', () => {
    const list = discoveryGroups(undefined).body as { kind: string; groups: unknown[] };
    assert.equal(list.kind, 'APIGroupList');
    assert.deepEqual(list.groups[0], { name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
    assert.deepEqual(discoveryGroup('batch')?.body, { kind: 'APIGroup', apiVersion: 'v1',
      name: 'batch', versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'batch/v1', version: 'v1' } });
    assert.equal(discoveryGroup('nope.example.com'), undefined);
    assert.equal(discoveryGroup(''), undefined);
  });

  it('/api/v1 includes pods/eviction (kubectl drain needs it)', () => {
    const list = discoveryResources('', 'v1')?.body as { groupVersion: string;
      resources: Record<string, unknown>[] };
    assert.equal(list.groupVersion, 'v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    assert.deepEqual(byName.get('pods/eviction'), { name: 'pods/eviction', singularName: '',
      namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    assert.deepEqual(byName.get('pods/status'), { name: 'pods/status', singularName: '',
      namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    assert.deepEqual(byName.get('configmaps'), { name: 'configmaps', singularName: 'configmap',
      namespaced: true, kind: 'ConfigMap', verbs: ['create', 'delete', 'deletecollection', 'get',
        'list', 'patch', 'update', 'watch'], shortNames: ['cm'] });
  });

  it('/apis/apps/v1 lists deployments/scale from autoscaling', () => {
    const list = discoveryResources('apps', 'v1')?.body as { resources: Record<string, unknown>[] };
    const scale = list.resources.find((r) => r.name === 'deployments/scale');
    assert.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true,
      group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    assert.equal(discoveryResources('apps', 'v2'), undefined);
  });
});

describe('/version', () => {
  it('reports Kubernetes 1.32 so the dispatcher runs kubectl 1.32', () => {
    const v = versionInfo();
    assert.equal(v.major, '1');
    assert.equal(v.minor, '32');
    assert.match(v.gitVersion, /^v1\.32\.0\+k8ts$/);
    assert.equal(versionInfo({ gitCommit: 'abc' }).gitCommit, 'abc');
  });
});

describe('OpenAPI v3', () => {
  const index = openApiIndex();
  const paths = (index.body as { paths: Record<string, { serverRelativeURL: string }> }).paths;

  it('indexes every served group-version with a SHA-512 hash of the served document', () => {
    assert.equal(index.contentType, 'application/json');
    assert.deepEqual(Object.keys(paths), groupVersions().map((gv) =>
      gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`));
    for (const [p, { serverRelativeURL }] of Object.entries(paths)) {
      const [, group = '', version = ''] = p === 'api/v1' ? ['', '', 'v1'] : p.split('/');
      const doc = openApiDocument(group, version);
      const hash = createHash('sha512').update(JSON.stringify(doc?.body)).digest('hex')
        .toUpperCase();
      assert.equal(serverRelativeURL, `/openapi/v3/${p}?hash=${hash}`);
    }
  });

  it('documents carry one PATCH per kind with fieldValidation and no requestBody', () => {
    const apps = openApiDocument('apps', 'v1')?.body as OpenApiDocument;
    assert.equal(apps.openapi, '3.0.0');
    const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.ok(item);
    const patch = item.patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'],
      { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
    const params = patch.parameters as { name: string; in: string }[];
    assert.ok(params.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.equal(patch.requestBody, undefined);
    const core = openApiDocument('', 'v1')?.body as OpenApiDocument;
    assert.ok(core.paths['/api/v1/nodes/{name}']);
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}']);
    assert.equal(openApiDocument('apps', 'v9'), undefined);
  });
});

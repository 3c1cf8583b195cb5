import { strict as assert } from 'node:assert';
import { route, type ResourceRoute } from '../../../src/apiserver/rest/route.js';
import { parseAccept, wantsTable } from '../../../src/apiserver/rest/negotiate.js';

function res(method: string, path: string, watch = false): ResourceRoute {
  const r = route(method, path, watch);
  assert.equal(r.kind, 'resource', JSON.stringify(r));
  return r as ResourceRoute;
}

describe('REST routing (kube-apiserver RequestInfo rules)', () => {
  it('namespaced and cluster-wide lists, gets and watches', () => {
    let r = res('GET', '/api/v1/namespaces/default/pods');
    assert.deepEqual([r.verb, r.resource.resource, r.namespace, r.name], ['list', 'pods', 'default', undefined]);
    r = res('GET', '/api/v1/pods', true);
    assert.deepEqual([r.verb, r.namespace], ['watch', undefined]);
    r = res('GET', '/apis/apps/v1/namespaces/x/deployments/web');
    assert.deepEqual([r.verb, r.resource.group, r.name], ['get', 'apps', 'web']);
  });

  it('the namespaces resource itself, and its status subresource', () => {
    let r = res('GET', '/api/v1/namespaces/demo');
    assert.deepEqual([r.resource.resource, r.namespace, r.name], ['namespaces', undefined, 'demo']);
    r = res('PUT', '/api/v1/namespaces/demo/status');
    assert.deepEqual([r.verb, r.resource.resource, r.name, r.subresource], ['update', 'namespaces', 'demo', 'status']);
    r = res('DELETE', '/api/v1/namespaces');
    assert.equal(r.verb, 'deletecollection');
  });

  it('subresources: scale, status, binding, eviction, log', () => {
    assert.equal(res('PATCH', '/apis/apps/v1/namespaces/d/deployments/web/scale').subresource, 'scale');
    assert.equal(res('POST', '/api/v1/namespaces/d/pods/p/binding').verb, 'create');
    assert.equal(res('POST', '/api/v1/namespaces/d/pods/p/eviction').subresource, 'eviction');
    assert.equal(res('GET', '/api/v1/namespaces/d/pods/p/log').subresource, 'log');
  });

  it('unknown paths are 404, wrong methods 405', () => {
    assert.equal(route('GET', '/api/v1/namespaces/d/widgets', false).kind, 'not-found');
    assert.equal(route('GET', '/apis/apps/v2/deployments', false).kind, 'not-found');
    assert.equal(route('GET', '/api/v1/nodes/n1/scale', false).kind, 'not-found');
    assert.equal(route('GET', '/api/v1/namespaces/d/nodes', false).kind, 'not-found');
    assert.equal(route('POST', '/api/v1/namespaces/d/pods/p', false).kind, 'method-not-allowed');
    assert.equal(route('PATCH', '/api/v1/namespaces/d/pods', false).kind, 'method-not-allowed');
    assert.equal(route('POST', '/version', false).kind, 'method-not-allowed');
  });

  it('non-resource documents', () => {
    assert.deepEqual(route('GET', '/version', false), { kind: 'version' });
    assert.deepEqual(route('GET', '/api', false), { kind: 'discovery-core' });
    assert.deepEqual(route('GET', '/apis', false), { kind: 'discovery-groups' });
    assert.deepEqual(route('GET', '/apis/apps', false), { kind: 'discovery-group', group: 'apps' });
    assert.deepEqual(route('GET', '/api/v1', false), { kind: 'discovery-resources', group: '', version: 'v1' });
    assert.deepEqual(route('GET', '/openapi/v3/apis/apps/v1', false), { kind: 'openapi-doc', group: 'apps', version: 'v1' });
    assert.deepEqual(route('GET', '/readyz', false), { kind: 'health', check: 'readyz' });
  });
});

describe('content negotiation', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  it('kubectl get asks for a Table; -o yaml and typed clients do not', () => {
    assert.equal(wantsTable(TABLE), true);
    assert.equal(wantsTable('application/json'), false);
    assert.equal(wantsTable('application/vnd.kubernetes.protobuf,application/json'), false);
    assert.equal(wantsTable(undefined), false);
  });
  it('parses parameters', () => {
    assert.deepEqual(parseAccept('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')[0]?.params, { g: 'apidiscovery.k8s.io', v: 'v2', as: 'APIGroupDiscoveryList' });
  });
});

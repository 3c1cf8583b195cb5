/**
 * Both faces of a real API server name the manager of a write without fieldManager after the
 * request's user agent: the REST face from the User-Agent header, the component API from the
 * user-agent the component's client sends (componentUserAgent), so the kubelet's status writes
 * show as "kubelet" with subresource status and the controller manager's and scheduler's
 * creates under their names, as on a kubeadm cluster.
 */
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '../../src/api/meta.js';
import { versionInfo } from '../../src/apiserver/discovery/version.js';
import { ApiClient } from '../../src/client/api-client.js';
import { componentUserAgent } from '../../src/client/user-agent.js';
import { startApiCluster, type ApiCluster } from '../support/apiserver.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const PODS = { group: '', version: 'v1', resource: 'pods' };

function managers(o: KubeObject): string[] {
  return (o.metadata.managedFields ?? [])
    .map((e: ManagedFieldsEntry) => `${e.manager}:${e.operation}:${e.subresource ?? ''}`).sort();
}

describe('managedFields: the manager of a write without fieldManager is its user agent', function () {
  this.timeout(30_000);
  let c: ApiCluster;
  const clients: ApiClient[] = [];
  const client = (component: string): ApiClient => {
    const api = new ApiClient({ endpoints: c.grpcEndpoints,
      userAgent: componentUserAgent(component, versionInfo()) });
    clients.push(api);
    return api;
  };

  before(async function () {
    this.timeout(60_000);
    c = await startApiCluster();
  });
  after(async () => {
    for (const api of clients) api.close();
    await c?.stop();
  });

  it('REST: an update without fieldManager and User-Agent foo/1.0 is recorded under "foo"', async () => {
    const url = `${c.urls[0] ?? ''}/api/v1/namespaces/default/configmaps`;
    const send = async (method: string, path: string, body: object, ua: string): Promise<KubeObject> => {
      const res = await fetch(`${url}${path}`, {
        method, body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', 'User-Agent': ua },
      });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return await res.json() as KubeObject;
    };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ua' }, data: { a: '1' } };
    const created = await send('POST', '?fieldManager=kubectl-create', cm,
      'kubectl/v1.32.2 (linux/amd64) kubernetes/67a30c0');
    assert.deepEqual(managers(created), ['kubectl-create:Update:']);
    const updated = await send('PUT', '/ua', { ...created, data: { a: '1', b: '2' } }, 'foo/1.0');
    assert.deepEqual(managers(updated), ['foo:Update:', 'kubectl-create:Update:']);
  });

  it('component API: the controller manager creates, the kubelet writes status, the scheduler batch-creates', async () => {
    const kcm = client('kube-controller-manager');
    const kubelet = client('kubelet');
    const scheduler = client('kube-scheduler');
    const pod = await kcm.create<KubeObject>(PODS, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ua' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as KubeObject);
    assert.deepEqual(managers(pod), ['kube-controller-manager:Update:']);
    const running = await kubelet.update<KubeObject>(PODS, 'default',
      { ...pod, status: { phase: 'Running' } } as KubeObject, { subresource: 'status' });
    assert.deepEqual(managers(running), ['kube-controller-manager:Update:', 'kubelet:Update:status']);
    const [made] = await scheduler.createBatch([{ r: CONFIGMAPS, ns: 'default',
      obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ua-batch' }, data: { a: '1' } } as KubeObject }]);
    assert.ok(made !== undefined && !(made instanceof Error), String(made));
    assert.deepEqual(managers(made), ['kube-scheduler:Update:']);
  });
});

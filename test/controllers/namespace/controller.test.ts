/**
 * The namespace controller against a real in-process API server, driven by the real kubectl:
 * `kubectl delete ns` (which waits for the namespace to be gone) finishes once the controller
 * has emptied it. A pod bound to a node waits for its "kubelet" (the test) and an object with a
 * finalizer waits for its owner; meanwhile the namespace's conditions say so.
 */
import assert from 'node:assert/strict';
import type { Namespace } from '../../../src/api/core/v1/cluster-kinds.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { DEPLOYMENTS, NAMESPACES, PODS } from '../../../src/controllers/base/resources.js';
import { namespaceController } from '../../../src/controllers/namespace/controller.js';
import {
  gone,
  startControllerHarness,
  until,
  type ControllerHarness,
} from '../../support/controllers.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

function pod(name: string, nodeName?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'x' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } };
}

function configMap(name: string, finalizers?: string[]): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace: 'x', ...(finalizers ? { finalizers } : {}) }, data: { a: '1' } };
}

const deployment: KubeObject = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'x' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
};

describe('namespace controller (real API server, real kubectl)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;

  before(async function () {
    h = await startControllerHarness([namespaceController]);
  });
  after(async () => {
    await h?.stop();
  });

  const condition = async (type: string): Promise<string> => {
    const n = await h.api.get<Namespace>(NAMESPACES, undefined, 'x');
    const k = n.status?.conditions?.find((x) => x.type === type);
    return `${k?.status ?? ''} ${k?.message ?? ''}`;
  };

  it('kubectl delete ns waits for the content to go, then the namespace is gone', async () => {
    const api = h.api;
    await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: 'x' } });
    await api.create(CONFIGMAPS, 'x', configMap('one'));
    await api.create(CONFIGMAPS, 'x', configMap('two'));
    await api.create(CONFIGMAPS, 'x', configMap('held', ['example.com/hold']));
    await api.create(DEPLOYMENTS, 'x', deployment);
    await api.create(PODS, 'x', pod('loose'));
    await api.create(PODS, 'x', pod('running', 'n1'));

    const kubectl = h.cluster.kubectl(['delete', 'ns', 'x', '--timeout=50s'],
      { timeoutMs: 55_000 });
    // The bound pod is only marked (its kubelet must stop it); the held configmap waits.
    await until(async () => (await condition('NamespaceContentRemaining')) ===
      'True Some resources are remaining: configmaps. has 1 resource instances, ' +
      'pods. has 1 resource instances', 'content remaining condition', 20_000);
    assert.equal(await condition('NamespaceFinalizersRemaining'),
      'True Some finalizers are remaining: example.com/hold in 1 resource instances');
    for (const n of ['one', 'two']) assert.ok(await gone(() => api.get(CONFIGMAPS, 'x', n)));
    assert.ok(await gone(() => api.get(DEPLOYMENTS, 'x', 'web')));
    assert.ok(await gone(() => api.get(PODS, 'x', 'loose')));
    const running = await api.get(PODS, 'x', 'running');
    assert.ok(running.metadata.deletionTimestamp !== undefined);

    // The kubelet finishes the pod; the finalizer's owner lets go of the configmap.
    await api.delete(PODS, 'x', 'running', { gracePeriodSeconds: 0 });
    const held = await api.get(CONFIGMAPS, 'x', 'held');
    await api.update(CONFIGMAPS, 'x', { ...held, metadata: { ...held.metadata, finalizers: [] } });

    const out = await kubectl;
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /namespace "x" deleted/);
    assert.ok(await gone(() => api.get(NAMESPACES, undefined, 'x')));
    assert.ok(await gone(() => api.get(CONFIGMAPS, 'x', 'held')));
  });
});

/**
 * The official JavaScript client (@kubernetes/client-node) against a k8ts API server: typed list
 * and create, a raw watch, and an informer whose cache follows adds, updates and deletes — what
 * any Node.js controller written for Kubernetes does.
 */
import { strict as assert } from 'node:assert';
import * as k8s from '@kubernetes/client-node';
import { startApiCluster, type ApiCluster } from '../support/apiserver.js';

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e: @kubernetes/client-node against k8ts', function () {
  this.timeout(60_000);
  let c: ApiCluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  before(async () => {
    c = await startApiCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 't', server: c.urls[0] ?? '', skipTLSVerify: true }],
      users: [{ name: 't' }],
      contexts: [{ name: 't', cluster: 't', user: 't' }],
      currentContext: 't',
    });
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => c?.stop());

  it('lists namespaces and creates a ConfigMap', async () => {
    const list = await core.listNamespace();
    assert.deepEqual(list.items.map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'one' }, data: { a: '1' } } });
    assert.equal(cm.data?.a, '1');
    assert.match(cm.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  it('watches ConfigMaps from a resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const abort = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name ?? ''}`),
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'two' } } });
    await core.deleteNamespacedConfigMap({ name: 'two', namespace: 'default' });
    await until('two events', () => (events.length >= 2 ? true : undefined));
    abort.abort();
    assert.deepEqual(events, ['ADDED two', 'DELETED two']);
  });

  it('an informer cache follows adds, updates and deletes', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    await informer.start();
    try {
      await until('the initial list', () => (informer.get('one', 'default') ? true : undefined));
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'three' }, data: { v: '1' } } });
      await until('three added', () => informer.get('three', 'default'));
      await core.patchNamespacedConfigMap({ name: 'three', namespace: 'default', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await until('three updated', () => (informer.get('three', 'default')?.data?.v === '2' ? true : undefined));
      await core.deleteNamespacedConfigMap({ name: 'three', namespace: 'default' });
      await until('three deleted', () => (informer.get('three', 'default') === undefined ? true : undefined));
    } finally {
      await informer.stop();
    }
  });
});

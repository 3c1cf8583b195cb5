/**
 * The kubelet's object caches: which ConfigMap and Secret references a pod has (podObjectRefs),
 * and that preparing a pod waits only for the caches of the kinds it reads — the first pod of a
 * namespace that reads no ConfigMap or Secret does not wait for their lists.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../src/base/clock.js';
import type { Informer, InformerFactory, InformerOptions } from '../../src/client/cache/types.js';
import type { ApiResource } from '../../src/client/types.js';
import { ObjectCache } from '../../src/kubelet/objects.js';
import { podObjectRefs } from '../../src/kubelet/pod-object-refs.js';

function pod(spec: Pod['spec']): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec };
}

const plain = { name: 'c', image: 'busybox' };

describe('kubelet/pod-object-refs', () => {
  it('a pod with plain containers reads neither kind', () => {
    assert.deepEqual(podObjectRefs(pod({ containers: [plain] })), { configMaps: false, secrets: false });
  });

  it('finds env valueFrom and envFrom references, in init containers too', () => {
    const env = [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }];
    assert.deepEqual(podObjectRefs(pod({ containers: [plain], initContainers: [{ ...plain, env }] })),
      { configMaps: true, secrets: false });
    const envFrom = [{ secretRef: { name: 's' } }];
    assert.deepEqual(podObjectRefs(pod({ containers: [{ ...plain, envFrom }] })),
      { configMaps: false, secrets: true });
  });

  it('finds configMap, secret and projected volumes', () => {
    assert.deepEqual(podObjectRefs(pod({ containers: [plain],
      volumes: [{ name: 'v', secret: { secretName: 's' } }] })), { configMaps: false, secrets: true });
    assert.deepEqual(podObjectRefs(pod({ containers: [plain],
      volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'cm' } }] } }] })),
    { configMaps: true, secrets: false });
  });
});

/** A factory whose informers sync only when told to; it records what was requested. */
function fakeInformers() {
  const synced = new Set<string>(['services']);
  const requested: string[] = [];
  const factory = {
    informerFor<T>(r: ApiResource, o?: InformerOptions): Informer<T & never> {
      requested.push(`${r.resource}${o?.namespace ? `/${o.namespace}` : ''}`);
      const lister = { get: () => undefined, list: () => [] };
      return { resource: r, lister, hasSynced: () => synced.has(r.resource) } as never;
    },
  } as unknown as InformerFactory;
  return { factory, synced, requested };
}

describe('kubelet/objects: ObjectCache', () => {
  it('watches services cluster-wide; a pod that reads no ConfigMap or Secret waits for neither',
    async () => {
      const f = fakeInformers();
      const cache = new ObjectCache(f.factory, systemClock, 3_600_000);
      await cache.forNamespace('ns', true, { configMaps: false, secrets: false });
      assert.deepEqual(f.requested, ['services']);
    });

  it('a pod that reads ConfigMaps waits for its namespace\'s ConfigMap cache', async () => {
    const f = fakeInformers();
    const cache = new ObjectCache(f.factory, systemClock, 3_600_000);
    let done = false;
    const p = cache.forNamespace('ns', true, { configMaps: true, secrets: false })
      .then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(done, false, 'resolved before the ConfigMap cache synced');
    f.synced.add('configmaps');
    await p;
    assert.deepEqual(f.requested, ['services', 'configmaps/ns']);
  });
});

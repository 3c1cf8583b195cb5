/**
 * omittingManagedFields: an informer's view of the API whose lists and watches ask the server
 * to leave managedFields out, every other verb (and every other option) passed through as is.
 */
import assert from 'node:assert/strict';
import type { KubeList, KubeObject } from '../../src/api/meta.js';
import { omittingManagedFields, type ComponentApi } from '../../src/client/component-api.js';
import type { ApiWatch } from '../../src/client/types.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };

/** recording: a ComponentApi that records each call's verb and options. */
function recording(calls: [string, unknown][], withBatch: boolean): ComponentApi {
  const obj = { metadata: { name: 'p' } } as KubeObject;
  const rec = <T>(verb: string, o: unknown, v: T): T => {
    calls.push([verb, o]);
    return v;
  };
  const api: ComponentApi = {
    get: async (_r, _ns, _n, o) => rec('get', o, obj) as never,
    list: async (_r, _ns, o) => rec('list', o, { items: [] } as unknown as KubeList) as never,
    watch: (_r, _ns, o) => rec('watch', o, {} as ApiWatch<never>),
    create: async (_r, _ns, _obj, o) => rec('create', o, obj) as never,
    update: async (_r, _ns, _obj, o) => rec('update', o, obj) as never,
    patch: async (_r, _ns, _n, _t, _b, o) => rec('patch', o, obj) as never,
    delete: async (_r, _ns, _n, o) => rec('delete', o, { object: obj, deleted: true }) as never,
    bind: async (_ns, _p, _n, o) => rec('bind', o, undefined),
  };
  return withBatch ? { ...api, createBatch: async (_items, o) => rec('createBatch', o, []) } : api;
}

describe('omittingManagedFields', () => {
  it('adds omitManagedFields to lists and watches only, keeping their other options', async () => {
    const calls: [string, unknown][] = [];
    const view = omittingManagedFields(recording(calls, true));
    await view.list(PODS, 'ns', { labelSelector: 'a=b', limit: 500 });
    view.watch(PODS, undefined, { resourceVersion: '7', allowWatchBookmarks: true });
    view.watch(PODS, undefined);
    await view.get(PODS, 'ns', 'p', { subresource: 'status' });
    await view.update(PODS, 'ns', { metadata: { name: 'p' } } as KubeObject, { fieldManager: 'm' });
    await view.bind('ns', 'p', 'n1');
    await view.createBatch?.([], { fieldManager: 'e' });
    assert.deepEqual(calls, [
      ['list', { labelSelector: 'a=b', limit: 500, omitManagedFields: true }],
      ['watch', { resourceVersion: '7', allowWatchBookmarks: true, omitManagedFields: true }],
      ['watch', { omitManagedFields: true }],
      ['get', { subresource: 'status' }],
      ['update', { fieldManager: 'm' }],
      ['bind', undefined],
      ['createBatch', { fieldManager: 'e' }],
    ]);
  });

  it('has createBatch only when the API it views has', () => {
    assert.equal(omittingManagedFields(recording([], false)).createBatch, undefined);
    assert.equal(typeof omittingManagedFields(recording([], true)).createBatch, 'function');
  });
});

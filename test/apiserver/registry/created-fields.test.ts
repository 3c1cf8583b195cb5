import assert from 'node:assert/strict';
import { recordUpdate } from '../../../src/api/apply/index.js';
import type { JsonObject, KubeObject } from '../../../src/api/meta.js';
import { createdFields } from '../../../src/apiserver/registry/created-fields.js';
import { recordManagedUpdate } from '../../../src/apiserver/registry/patching.js';

/** fresh: the record without any memo (what recordManagedUpdate must always equal). */
function fresh(obj: KubeObject, manager: string, nowIso: string, subresource?: string): unknown {
  return recordUpdate({
    old: undefined, new: obj as unknown as JsonObject, manager, apiVersion: 'v1', nowIso,
    operation: 'Update', ...(subresource ? { subresource } : {}),
  });
}

function pod(name: string, uid: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'ns', uid, creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z`,
      generateName: 'web-', labels: { app: 'web' }, ...extra },
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    status: { phase: 'Pending' },
  };
}

/** event: a core/v1 Event as the event sink writes it; its values differ by name, reason, i. */
function event(name: string, reason: string, i: number): KubeObject {
  const ts = `2026-01-01T00:00:0${i}Z`;
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${name}.18${i}f00000000000${i}`, namespace: 'ns' },
    involvedObject: { kind: 'Pod', namespace: 'ns', name, uid: `u-${name}`, apiVersion: 'v1',
      resourceVersion: `${100 + i}` },
    reason, message: `${reason} container c of ${name}`, type: 'Normal',
    source: { component: 'kubelet', host: `w${i}` }, firstTimestamp: ts, lastTimestamp: ts,
    count: 1, reportingComponent: 'kubelet', reportingInstance: `w${i}`,
  } as KubeObject;
}

describe('managed fields of creates, remembered by shape', () => {
  it('equal the fresh record, each with its own time, for objects of one shape and others', () => {
    const objs = [
      pod('web-a', 'u1'), pod('web-bb', 'u2'), pod('web-a', 'u3', { finalizers: ['x/y'] }),
      pod('web-c', 'u4', { labels: { app: 'web', tier: 'x' } }), pod('web-d', 'u5'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', namespace: 'ns' }, data: { j: 'v' } },
    ];
    for (const [i, obj] of [...objs, ...objs].entries()) {
      const nowIso = `2026-01-0${1 + (i % 9)}T00:00:00Z`;
      for (const [manager, sub] of [['kcm', undefined], ['other', undefined], ['kcm', 'status']]) {
        const o = { manager: manager!, apiVersion: 'v1', nowIso, ...(sub ? { subresource: sub } : {}) };
        assert.deepEqual(recordManagedUpdate(undefined, obj, o), fresh(obj, manager!, nowIso, sub),
          `${JSON.stringify(obj)} by ${manager} ${sub ?? ''}`);
      }
    }
  });

  it('Events that differ in every value share one record, computed once', () => {
    const w = { manager: 'kubelet-once', apiVersion: 'v1', nowIso: '2026-04-01T00:00:00Z' };
    let records = 0;
    const evs = ['Pulled', 'Created', 'Started'].flatMap((reason, i) =>
      [`web-${i}`, `api-${i}x`].map((name) => event(name, reason, i)));
    for (const ev of evs) {
      const got = createdFields(ev, w, () => {
        records++;
        return fresh(ev, w.manager, w.nowIso) as ReturnType<typeof recordManagedUpdate>;
      });
      assert.deepEqual(got, fresh(ev, w.manager, w.nowIso));
    }
    assert.equal(records, 1);
  });

  it('values inside lists still tell records apart (list-map keys, set members)', () => {
    const objs = [
      pod('web-a', 'u1', { finalizers: ['x/y'] }), pod('web-a', 'u1', { finalizers: ['x/z'] }),
      { ...pod('web-b', 'u2'), spec: { containers: [{ name: 'd', image: 'i',
        ports: [{ containerPort: 81, protocol: 'UDP' }] }] } },
      event('e', 'R', 0), { ...event('e', 'R', 0), series: { count: 2 } },
    ];
    for (const obj of [...objs, ...objs]) {
      const o = { manager: 'lists', apiVersion: 'v1', nowIso: '2026-04-02T00:00:00Z' };
      assert.deepEqual(recordManagedUpdate(undefined, obj, o), fresh(obj, 'lists', o.nowIso),
        JSON.stringify(obj));
    }
  });

  it('a body with managedFields of its own is recorded afresh', () => {
    const given = [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: '2025-01-01T00:00:00Z',
      fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } }];
    const obj = pod('web-e', 'u6', { managedFields: given });
    const o = { manager: 'kcm', apiVersion: 'v1', nowIso: '2026-02-01T00:00:00Z' };
    recordManagedUpdate(undefined, pod('web-f', 'u7'), o);
    assert.deepEqual(recordManagedUpdate(undefined, obj, o), fresh(obj, 'kcm', o.nowIso));
  });

  it('hands out entries nobody else holds', () => {
    const o = { manager: 'kcm', apiVersion: 'v1', nowIso: '2026-03-01T00:00:00Z' };
    const a = recordManagedUpdate(undefined, pod('web-g', 'u8'), o);
    const b = recordManagedUpdate(undefined, pod('web-h', 'u9'), o);
    assert.deepEqual(a, b);
    assert.notEqual(a[0], b[0]);
    assert.notEqual(a[0]?.fieldsV1, b[0]?.fieldsV1);
  });
});

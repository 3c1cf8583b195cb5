import { strict as assert } from 'node:assert';
import { isStatusError, type Status } from '../../../src/api/errors.js';
import type { JsonObject, ManagedFieldsEntry } from '../../../src/api/meta.js';
import { applyPatch, recordUpdate } from '../../../src/api/apply/managed-fields.js';
import { fromFieldsV1, pathString, toFieldsV1 } from '../../../src/api/apply/field-set.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function manifest(replicas = 2, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }],
        },
      },
      ...extra,
    },
  };
}

function apply(live: JsonObject | undefined, applied: JsonObject, manager: string, force = false) {
  return applyPatch({ live, applied, manager, force, apiVersion: 'apps/v1', nowIso: T1 });
}

function statusOf(f: () => unknown): Status {
  try {
    f();
  } catch (e) {
    assert.ok(isStatusError(e));
    return e.status;
  }
  throw new Error('expected a StatusError');
}

function entry(mf: ManagedFieldsEntry[], manager: string): ManagedFieldsEntry {
  const e = mf.find((x) => x.manager === manager);
  assert.ok(e, `no managedFields entry for ${manager}`);
  return e;
}

function containers(o: JsonObject): JsonObject[] {
  const tpl = specOf(o).template as JsonObject;
  return (tpl.spec as { containers: JsonObject[] }).containers;
}

function withManagedFields(o: JsonObject, mf: ManagedFieldsEntry[]): JsonObject {
  const metadata = { ...(o.metadata as JsonObject), managedFields: mf as unknown as JsonObject[] };
  return { ...o, metadata };
}

function specOf(o: JsonObject): JsonObject {
  return o.spec as JsonObject;
}

describe('server-side apply', () => {
  it('creates an object and records the applier with the exact FieldsV1 shape', () => {
    const { object, managedFields } = apply(undefined, manifest(), 'kubectl');
    assert.equal(specOf(object).replicas, 2);
    assert.equal(managedFields.length, 1);
    const e = entry(managedFields, 'kubectl');
    assert.deepEqual(Object.keys(e),
      ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.deepEqual([e.operation, e.apiVersion, e.time, e.fieldsType],
      ['Apply', 'apps/v1', T1, 'FieldsV1']);
    // What kube-apiserver records for this manifest: no f:metadata.f:name (stripped), labels
    // without "." (an applied map is not itself owned), the selector as one atomic value, the
    // port keyed with its defaulted protocol.
    const expected = {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': {
            '.': {}, 'f:image': {}, 'f:name': {},
            'f:ports': {
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
            },
          } } },
        },
      },
    };
    assert.equal(JSON.stringify(e.fieldsV1), JSON.stringify(expected));
    assert.deepEqual((object.metadata as JsonObject).managedFields, managedFields);
  });

  it('records a create by kubectl-create (Update) with "." on new maps and lists', () => {
    const created = manifest(1, {
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
    });
    const c = containers(created)[0];
    if (c) c.ports = [{ containerPort: 80, protocol: 'TCP' }];
    const mf = recordUpdate({ new: created, manager: 'kubectl-create', apiVersion: 'apps/v1',
      nowIso: T0, operation: 'Update' });
    const expected = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': {
          'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} },
          'f:type': {},
        },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': {
            '.': {}, 'f:image': {}, 'f:name': {},
            'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': {
              '.': {}, 'f:containerPort': {}, 'f:protocol': {},
            } },
          } } },
        },
      },
    };
    assert.deepEqual(mf.map((e) => [e.manager, e.operation, e.apiVersion, e.time]),
      [['kubectl-create', 'Update', 'apps/v1', T0]]);
    assert.equal(JSON.stringify(mf[0]?.fieldsV1), JSON.stringify(expected));
  });

  it('merges into the live object, keeping fields it does not set', () => {
    const live = { ...manifest(), status: { replicas: 2 } };
    const liveSpec = { ...specOf(live), paused: false };
    const { object } = apply({ ...live, spec: liveSpec }, manifest(3), 'kubectl');
    assert.equal(specOf(object).replicas, 3);
    assert.equal(specOf(object).paused, false);
    assert.deepEqual(object.status, { replicas: 2 });
  });

  it('removes fields the applier owned and no longer sets', () => {
    const first = apply(undefined, manifest(2, { minReadySeconds: 5 }), 'kubectl');
    const withEnv = manifest(2);
    const { object, managedFields } = apply(first.object, withEnv, 'kubectl');
    assert.equal('minReadySeconds' in specOf(object), false);
    const spec = entry(managedFields, 'kubectl').fieldsV1?.['f:spec'] as JsonObject;
    assert.equal('f:minReadySeconds' in spec, false);
  });

  it('keeps a field it gave up when another manager still owns it', () => {
    const a = apply(undefined, manifest(2, { minReadySeconds: 5 }), 'a');
    const b = apply(a.object, manifest(2, { minReadySeconds: 5 }), 'b');
    const again = apply(b.object, manifest(2), 'a');
    assert.equal(specOf(again.object).minReadySeconds, 5);
    const bSpec = entry(again.managedFields, 'b').fieldsV1?.['f:spec'] as JsonObject;
    assert.ok('f:minReadySeconds' in bSpec);
  });

  it('removes a container the applier dropped, by its key', () => {
    const two = manifest();
    const tspec = (specOf(two).template as JsonObject).spec as { containers: JsonObject[] };
    tspec.containers.push({ name: 'sidecar', image: 'busybox' });
    const first = apply(undefined, two, 'kubectl');
    const { object } = apply(first.object, manifest(), 'kubectl');
    const out = ((specOf(object).template as JsonObject).spec as { containers: JsonObject[] });
    assert.deepEqual(out.containers.map((c) => c.name), ['nginx']);
  });

  it('answers 409 when it changes a field another manager owns', () => {
    const created = manifest(2);
    const mf = recordUpdate({ new: created, manager: 'kubectl-client-side-apply',
      apiVersion: 'apps/v1', nowIso: T0, operation: 'Update' });
    const live = withManagedFields(created, mf);
    const st = statusOf(() => apply(live, manifest(3), 'kubectl'));
    assert.equal(st.code, 409);
    assert.equal(st.reason, 'Conflict');
    assert.equal(st.message,
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: ' +
        '.spec.replicas');
    assert.deepEqual(st.details, { causes: [{
      reason: 'FieldManagerConflict',
      message: 'conflict with "kubectl-client-side-apply" using apps/v1',
      field: '.spec.replicas',
    }] });
  });

  it('writes the empty manager without a manager key and reads such an entry back', () => {
    // A writer with neither fieldManager nor User-Agent is manager "" (upstream), and
    // ManagedFieldsEntry.manager is omitempty: the entry has no key, and keeps its fields.
    const created = manifest(2);
    const mf = recordUpdate({ new: created, manager: '', apiVersion: 'apps/v1', nowIso: T0,
      operation: 'Update' });
    assert.equal(mf.length, 1);
    assert.equal('manager' in mf[0]!, false);
    const live = withManagedFields(created, mf);
    const st = statusOf(() => apply(live, manifest(3), 'kubectl'));
    assert.equal(st.code, 409);
    assert.equal(st.details?.causes?.[0]?.field, '.spec.replicas');
  });

  it('shares ownership without conflict when the value is the same', () => {
    const created = manifest(2);
    const mf = recordUpdate({ new: created, manager: 'editor', apiVersion: 'apps/v1', nowIso: T0,
      operation: 'Update' });
    const live = withManagedFields(created, mf);
    const { managedFields } = apply(live, manifest(2), 'kubectl');
    for (const m of ['editor', 'kubectl']) {
      assert.ok('f:replicas' in (entry(managedFields, m).fieldsV1?.['f:spec'] as JsonObject));
    }
    assert.deepEqual(managedFields.map((e) => e.operation), ['Apply', 'Update']);
  });

  it('takes the field over with force=true', () => {
    const first = apply(undefined, manifest(2), 'other');
    const { object, managedFields } = apply(first.object, manifest(5), 'kubectl', true);
    assert.equal(specOf(object).replicas, 5);
    const other = entry(managedFields, 'other').fieldsV1?.['f:spec'] as JsonObject;
    assert.equal('f:replicas' in other, false);
    assert.ok('f:replicas' in (entry(managedFields, 'kubectl').fieldsV1?.['f:spec'] as JsonObject));
  });

  it('lists several conflicts grouped by manager', () => {
    const first = apply(undefined, manifest(2, { minReadySeconds: 1 }), 'ci');
    const st = statusOf(() => apply(first.object, manifest(3, { minReadySeconds: 2 }), 'kubectl'));
    assert.equal(st.message,
      'Apply failed with 2 conflicts: conflicts with "ci":\n- .spec.minReadySeconds\n' +
        '- .spec.replicas');
    assert.deepEqual(st.details?.causes?.map((c) => c.field),
      ['.spec.minReadySeconds', '.spec.replicas']);
  });

  it('names keyed list items in conflict paths', () => {
    const first = apply(undefined, manifest(), 'ci');
    const changed = manifest();
    const tspec = (specOf(changed).template as JsonObject).spec as { containers: JsonObject[] };
    tspec.containers = [{ name: 'nginx', image: 'nginx:1.26' }];
    const st = statusOf(() => apply(first.object, changed, 'kubectl'));
    assert.deepEqual(st.details?.causes?.map((c) => c.field),
      ['.spec.template.spec.containers[name="nginx"].image']);
  });

  it('answers 422 without a fieldManager and 400 when the body carries managedFields', () => {
    const st = statusOf(() => applyPatch({ applied: manifest(), manager: '', force: false,
      apiVersion: 'apps/v1', nowIso: T0 }));
    assert.equal(st.code, 422);
    assert.equal(st.message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: ' +
        'is required for apply patch');
    const withMf = { ...manifest(), metadata: { name: 'web', managedFields: [] } };
    const bad = statusOf(() => apply(undefined, withMf, 'kubectl'));
    assert.deepEqual([bad.code, bad.message], [400, 'metadata.managedFields must be nil']);
  });

  it('never mutates the live object nor the configuration', () => {
    const first = apply(undefined, manifest(2, { minReadySeconds: 5 }), 'kubectl');
    const live = structuredClone(first.object);
    const cfg = manifest(3);
    const cfg0 = structuredClone(cfg);
    apply(live, cfg, 'kubectl');
    assert.deepEqual(live, first.object);
    assert.deepEqual(cfg, cfg0);
  });
});

describe('server-side apply of sets and keyed lists', () => {
  const svc = (ports: JsonObject[], finalizers: string[]): JsonObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', finalizers },
    spec: { selector: { app: 'web' }, ports },
  });
  const run = (live: JsonObject | undefined, cfg: JsonObject, manager: string) =>
    applyPatch({ live, applied: cfg, manager, force: false, apiVersion: 'v1', nowIso: T0 });

  it('owns finalizers as v: members, ports by port and protocol, the selector atomically', () => {
    const { managedFields } = run(undefined, svc([{ port: 80, targetPort: 8080 }], ['a/b']), 'k');
    assert.deepEqual(managedFields[0]?.fieldsV1, {
      'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} } },
      'f:spec': {
        'f:ports': {
          'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} },
        },
        'f:selector': {},
      },
    });
  });

  it('merges sets and keyed lists with what other managers added, and prunes its own', () => {
    const mine = run(undefined, svc([{ port: 80 }], ['a']), 'me');
    const theirs = run(mine.object, svc([{ port: 443 }], ['b']), 'them');
    const spec = theirs.object.spec as { ports: JsonObject[] };
    assert.deepEqual(spec.ports, [{ port: 80 }, { port: 443 }]);
    assert.deepEqual((theirs.object.metadata as JsonObject).finalizers, ['a', 'b']);
    const dropped = run(theirs.object, svc([], []), 'me');
    assert.deepEqual((dropped.object.spec as JsonObject).ports, [{ port: 443 }]);
    assert.deepEqual((dropped.object.metadata as JsonObject).finalizers, ['b']);
  });
});

describe('managedFields on updates', () => {
  it('moves a changed field to the writer and stamps the time', () => {
    const first = apply(undefined, manifest(2), 'kubectl');
    const next = structuredClone(first.object);
    (next.spec as JsonObject).replicas = 4;
    const mf = recordUpdate({ old: first.object, new: next, manager: 'kubectl-edit',
      apiVersion: 'apps/v1', nowIso: T0, operation: 'Update' });
    assert.deepEqual(entry(mf, 'kubectl-edit').fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(entry(mf, 'kubectl-edit').time, T0);
    assert.equal('f:replicas' in (entry(mf, 'kubectl').fieldsV1?.['f:spec'] as JsonObject), false);
  });

  it('records a status write under its subresource and ignores status on the main resource', () => {
    const base = { ...manifest(), status: { replicas: 0 } };
    const conditions = [{ type: 'Available', status: 'True' }];
    const next = { ...base, status: { replicas: 2, conditions } };
    const mf = recordUpdate({ old: base, new: next, manager: 'kube-controller-manager',
      apiVersion: 'apps/v1', nowIso: T0, operation: 'Update', subresource: 'status' });
    const e = entry(mf, 'kube-controller-manager');
    assert.equal(e.subresource, 'status');
    assert.deepEqual(e.fieldsV1, { 'f:status': {
      'f:conditions': {
        '.': {},
        'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} },
      },
      'f:replicas': {},
    } });
    const main = recordUpdate({ old: base, new: next, manager: 'x', apiVersion: 'apps/v1',
      nowIso: T0, operation: 'Update' });
    assert.deepEqual(main, []);
  });

  it('drops a manager that owns nothing any more', () => {
    const first = apply(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' },
      data: { a: '1' } }, 'kubectl');
    const next = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c',
      managedFields: (first.object.metadata as JsonObject).managedFields }, data: { a: '2' } };
    const mf = recordUpdate({ old: first.object, new: next, manager: 'edit', apiVersion: 'v1',
      nowIso: T0, operation: 'Update' });
    assert.deepEqual(mf.map((e) => e.manager), ['edit']);
  });
});

describe('managedFields of status writes (entries a write leaves alone are kept as read)', () => {
  const T2 = '2026-01-01T00:02:00Z';
  const T3 = '2026-01-01T00:03:00Z';

  function pod(status: JsonObject): JsonObject {
    return {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
      status,
    };
  }

  function ready(value: string, at: string): JsonObject {
    return { phase: 'Running', conditions: [{ type: 'Ready', status: value, lastTransitionTime: at }] };
  }

  /** write records an update of old (with its managedFields) to the object with status next. */
  function write(old: JsonObject, mf: ManagedFieldsEntry[], status: JsonObject, manager: string,
    nowIso: string, subresource?: string): { object: JsonObject; mf: ManagedFieldsEntry[] } {
    const before = withManagedFields(old, mf);
    const next = withManagedFields({ ...old, status }, mf);
    const out = recordUpdate({ old: before, new: next, manager, apiVersion: 'v1', nowIso,
      operation: 'Update', ...(subresource ? { subresource } : {}) });
    return { object: { ...old, status }, mf: out };
  }

  function created(): { object: JsonObject; mf: ManagedFieldsEntry[] } {
    const { status: _none, ...obj } = pod({});
    const mf = recordUpdate({ new: obj, manager: 'kubectl', apiVersion: 'v1', nowIso: T0,
      operation: 'Update' });
    return { object: obj, mf };
  }

  it('a value change in fields the writer owns moves only its time; other entries stay as they were', () => {
    const c = created();
    const first = write(c.object, c.mf, ready('False', T1), 'kubelet', T1, 'status');
    const again = write(first.object, first.mf, ready('True', T2), 'kubelet', T2, 'status');
    assert.deepEqual(entry(again.mf, 'kubectl'), entry(c.mf, 'kubectl'));
    assert.deepEqual(entry(again.mf, 'kubelet').fieldsV1, entry(first.mf, 'kubelet').fieldsV1);
    assert.equal(entry(again.mf, 'kubelet').time, T2);
    // Writing the same status again changes nothing: the time stays.
    const same = write(again.object, again.mf, ready('True', T2), 'kubelet', T3, 'status');
    assert.deepEqual(same.mf, again.mf);
  });

  it('a field changed by another status writer moves to it, and back', () => {
    const c = created();
    const kubelet = write(c.object, c.mf, ready('False', T1), 'kubelet', T1, 'status');
    const ctrl = write(kubelet.object, kubelet.mf, ready('True', T1), 'ctrl', T2, 'status');
    const cond = (mf: ManagedFieldsEntry[], m: string) => ((entry(mf, m).fieldsV1?.['f:status'] as
      JsonObject)['f:conditions'] as JsonObject)['k:{"type":"Ready"}'] as JsonObject;
    assert.deepEqual(cond(ctrl.mf, 'ctrl'), { 'f:status': {} });
    assert.equal('f:status' in cond(ctrl.mf, 'kubelet'), false);
    assert.equal(entry(ctrl.mf, 'kubelet').time, T1);
    assert.deepEqual(entry(ctrl.mf, 'kubectl'), entry(c.mf, 'kubectl'));
    const back = write(ctrl.object, ctrl.mf, ready('False', T1), 'kubelet', T3, 'status');
    assert.deepEqual(cond(back.mf, 'kubelet'), cond(kubelet.mf, 'kubelet'));
    // ctrl owned nothing else: its entry is gone.
    assert.deepEqual(back.mf.map((e) => e.manager), ['kubectl', 'kubelet']);
    assert.equal(entry(back.mf, 'kubelet').time, T3);
  });

  it('a status write whose status is unchanged still moves the time when the object changed', () => {
    const c = created();
    const first = write(c.object, c.mf, ready('False', T1), 'kubelet', T1, 'status');
    const relabelled = { ...first.object, metadata: { name: 'p', namespace: 'ns', labels: { app: 'b' } } };
    const mf = recordUpdate({ old: withManagedFields(first.object, first.mf),
      new: withManagedFields(relabelled, first.mf), manager: 'kubelet', apiVersion: 'v1',
      nowIso: T2, operation: 'Update', subresource: 'status' });
    assert.deepEqual(entry(mf, 'kubelet').fieldsV1, entry(first.mf, 'kubelet').fieldsV1);
    assert.equal(entry(mf, 'kubelet').time, T2);
    assert.deepEqual(entry(mf, 'kubectl'), entry(c.mf, 'kubectl'));
  });

  it('entries in non-canonical FieldsV1 are written canonically even when nothing touches them', () => {
    const c = created();
    const shuffled = c.mf.map((e) => ({ ...e, fieldsV1: { 'f:spec': e.fieldsV1?.['f:spec'],
      'f:metadata': e.fieldsV1?.['f:metadata'] } as JsonObject }));
    const first = write(c.object, shuffled, ready('False', T1), 'kubelet', T1, 'status');
    assert.deepEqual(Object.keys(entry(first.mf, 'kubectl').fieldsV1 ?? {}), ['f:metadata', 'f:spec']);
    assert.deepEqual(entry(first.mf, 'kubectl'), entry(c.mf, 'kubectl'));
  });

  it('apply conflicts with fields updaters took, after status writes kept the entries as read', () => {
    const c = created();
    const image = (obj: JsonObject, v: string): JsonObject => ({ ...obj, spec: {
      containers: [{ name: 'c', image: v }] } });
    const s1 = write(c.object, c.mf, ready('False', T1), 'kubelet', T1, 'status');
    const mfCtrl = recordUpdate({ old: withManagedFields(s1.object, s1.mf),
      new: withManagedFields(image(s1.object, 'busybox:2'), s1.mf), manager: 'ctrl',
      apiVersion: 'v1', nowIso: T2, operation: 'Update' });
    const live = withManagedFields(image(s1.object, 'busybox:2'), mfCtrl);
    const s2 = write(live, mfCtrl, ready('True', T3), 'kubelet', T3, 'status');
    const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'busybox:3' }] } };
    const st = statusOf(() => applyPatch({ live: withManagedFields(s2.object, s2.mf), applied,
      manager: 'kubectl', force: false, apiVersion: 'v1', nowIso: T3 }));
    assert.equal(st.code, 409);
    assert.equal(st.message, 'Apply failed with 1 conflict: conflict with "ctrl" using v1: ' +
      '.spec.containers[name="c"].image');
    const forced = applyPatch({ live: withManagedFields(s2.object, s2.mf), applied,
      manager: 'kubectl', force: true, apiVersion: 'v1', nowIso: T3 });
    assert.deepEqual(forced.managedFields.map((e) => [e.manager, e.operation]),
      [['kubectl', 'Apply'], ['kubectl', 'Update'], ['kubelet', 'Update']]);
    // The status writer's entry is untouched by an apply of the spec.
    assert.deepEqual(entry(forced.managedFields, 'kubelet'), entry(s2.mf, 'kubelet'));
  });
});

describe('FieldsV1', () => {
  it('round-trips and renders paths as structured-merge-diff does', () => {
    const json = { 'f:metadata': { 'f:finalizers': { '.': {}, 'v:"example.com/a"': {} } },
      'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } } } };
    assert.deepEqual(toFieldsV1(fromFieldsV1(json)), json);
    assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"example.com/a"']),
      '.metadata.finalizers[="example.com/a"]');
    assert.equal(pathString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']),
      '.spec.ports[port=80,protocol="TCP"]');
  });
});

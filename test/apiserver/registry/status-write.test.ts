/**
 * A pod status write through the registry (PUT pods/status), as the kubelet makes it: no
 * fieldManager, the whole pod in the body. The registry keeps only the body's status (the spec
 * stays as stored, the caller's body is not touched), records managedFields for a write that
 * changed something, and records nothing for one that changed nothing.
 */
import assert from 'node:assert/strict';
import type { StatusError } from '../../../src/api/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../../src/api/meta.js';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import { Allocator, parseCidr } from '../../../src/apiserver/registry/allocator.js';
import { Registry } from '../../../src/apiserver/registry/registry.js';
import { ServiceAddresses } from '../../../src/apiserver/registry/services.js';
import type { RequestContext } from '../../../src/apiserver/registry/types.js';
import { MemoryStorage } from '../../../src/sim/control-plane/memory-storage.js';

const ctx: RequestContext = { user: { name: 'test', groups: ['system:masters'] } };

function resource(name: string): ResourceInfo {
  const r = findResource('', 'v1', name);
  assert.ok(r);
  return r;
}

const PODS = resource('pods');
const NAMESPACES = resource('namespaces');

interface Fixture { registry: Registry; setNow: (ms: number) => void }

async function fixture(): Promise<Fixture> {
  const storage = new MemoryStorage();
  let now = Date.parse('2026-01-01T00:00:00Z');
  let uid = 0;
  const registry = new Registry({
    storage, wallMs: () => now, newUid: () => `uid-${++uid}`, random: () => 0.5,
    services: new ServiceAddresses(new Allocator(storage, parseCidr('127.96.0.0/16'))),
  });
  await registry.create(ctx, NAMESPACES, undefined,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } } as KubeObject, {});
  return { registry, setNow: (ms) => { now = ms; } };
}

function pod(): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  } as KubeObject;
}

function running(p: KubeObject, ready: string): KubeObject {
  return { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready }] } } as KubeObject;
}

function entry(mf: ManagedFieldsEntry[] | undefined, subresource?: string): ManagedFieldsEntry {
  const e = mf?.find((x) => x.subresource === subresource);
  assert.ok(e, `no entry with subresource ${subresource ?? '(none)'}`);
  return e;
}

describe('registry: pod status writes', () => {
  it('store the body\'s status only, leave the body untouched, and record the status fields', async () => {
    const { registry, setNow } = await fixture();
    const created = (await registry.create(ctx, PODS, 'ns', pod(), { fieldManager: 'kubectl' })).object;
    setNow(Date.parse('2026-01-01T00:01:00Z'));
    const body = running(structuredClone(created), 'False');
    (body.spec as { containers: { image: string }[] }).containers[0]!.image = 'ignored';
    const copy = structuredClone(body);
    const out = (await registry.update(ctx, PODS, 'ns', 'p', body, { subresource: 'status' })).object;
    assert.deepEqual(body, copy);
    assert.deepEqual(out.spec, created.spec);
    assert.deepEqual(out.status, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    const mf = out.metadata.managedFields;
    assert.deepEqual(entry(mf), entry(created.metadata.managedFields));
    assert.equal(entry(mf, 'status').time, '2026-01-01T00:01:00Z');
    assert.deepEqual(entry(mf, 'status').fieldsV1, { 'f:status': {
      'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } },
      'f:phase': {},
    } });

    // The same status again changes nothing: no write, nothing recorded.
    setNow(Date.parse('2026-01-01T00:02:00Z'));
    const same = (await registry.update(ctx, PODS, 'ns', 'p', running(out, 'False'),
      { subresource: 'status' })).object;
    assert.equal(same.metadata.resourceVersion, out.metadata.resourceVersion);
    assert.deepEqual(same.metadata.managedFields, mf);

    // A value change in fields the writer owns moves only its entry's time.
    setNow(Date.parse('2026-01-01T00:03:00Z'));
    const flipped = (await registry.update(ctx, PODS, 'ns', 'p', running(same, 'True'),
      { subresource: 'status' })).object;
    assert.deepEqual(entry(flipped.metadata.managedFields, 'status'),
      { ...entry(mf, 'status'), time: '2026-01-01T00:03:00Z' });
    assert.deepEqual(entry(flipped.metadata.managedFields), entry(mf));
    assert.deepEqual(flipped.spec, created.spec);
  });

  it('refuse a bad status, with upstream\'s field errors, and still keep the stored spec', async () => {
    const { registry } = await fixture();
    const body = pod();
    (body.spec as { restartPolicy?: string }).restartPolicy = 'Never';
    const created = (await registry.create(ctx, PODS, 'ns', body, { fieldManager: 'kubectl' })).object;
    const terminated = { ...created, status: { phase: 'Failed', containerStatuses: [{ name: 'c',
      ready: false, restartCount: 0, image: 'busybox', imageID: '',
      state: { terminated: { exitCode: 1 } } }] } } as KubeObject;
    const done = (await registry.update(ctx, PODS, 'ns', 'p', terminated, { subresource: 'status' })).object;
    const refused = async (status: object, field: string, type: string): Promise<void> => {
      await assert.rejects(
        registry.update(ctx, PODS, 'ns', 'p', { ...done, status } as KubeObject, { subresource: 'status' }),
        (err: StatusError) => {
          assert.equal(err.code, 422);
          assert.equal(err.reason, 'Invalid');
          assert.deepEqual(err.status.details?.causes?.map((c) => [c.field, c.reason]), [[field, type]]);
          return true;
        });
    };
    await refused({ podIPs: [{ ip: 'not-an-ip' }] }, 'status.podIPs[0]', 'FieldValueInvalid');
    await refused({ hostIPs: [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }] }, 'status.hostIPs',
      'FieldValueInvalid');
    await refused({ nominatedNodeName: 'Not_A_Node' }, 'status.nominatedNodeName', 'FieldValueInvalid');
    await refused({ conditions: [{ type: 'no spaces allowed', status: 'True' }] },
      'status.conditions[0].type', 'FieldValueInvalid');
    // restartPolicy Never: a terminated container stays terminated.
    await refused({ containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox',
      imageID: '', state: { running: {} } }] }, 'status.containerStatuses[0].state', 'FieldValueForbidden');
    // A dual-stack pair is fine, and the spec in the body is still ignored.
    const ok = { ...done, spec: { ...(done.spec as object), nodeName: 'elsewhere' },
      status: { ...(done.status as object), podIPs: [{ ip: '127.64.0.9' }, { ip: 'fd00::9' }] } };
    const out = (await registry.update(ctx, PODS, 'ns', 'p', ok as KubeObject, { subresource: 'status' })).object;
    assert.deepEqual(out.spec, created.spec);
    assert.deepEqual((out.status as { podIPs?: unknown }).podIPs, [{ ip: '127.64.0.9' }, { ip: 'fd00::9' }]);
  });
});

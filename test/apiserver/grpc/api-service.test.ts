/**
 * The component API end to end: ApiClient → gRPC → addApiService → the real Registry →
 * the real EtcdStorage → a 3-member k8ts store. Failures are compared with what the registry
 * itself throws, so "the same Status as REST" is checked against the source both faces share.
 */
import assert from 'node:assert/strict';
import { rejection as statusOf } from '../../support/status.js';
import { status, type ServiceError } from '@grpc/grpc-js';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { ApiServiceClient } from '../../../src/gen/k8ts/api/v1/api.js';
import { channelCredentials } from '../../../src/rpc/credentials.js';
import { channelOptions } from '../../../src/rpc/defaults.js';
import { STATUS_TRAILER } from '../../../src/rpc/kube-status.js';
import { unary } from '../../../src/rpc/unary.js';
import { mapServiceError } from '../../../src/client/wire.js';
import { jsonBytesOf, storedValueOf } from '../../../src/apiserver/storage/shared-views.js';
import { CONFIGMAPS, PODS, resource, startApiHarness, type ApiHarness } from './harness.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const ADMIN = { user: { name: 'test', groups: ['system:masters'] } };

function cm(name: string, data: Record<string, string> = { a: '1' }): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

function grpcCode(err: StatusError): number | undefined {
  return (err.cause as ServiceError | undefined)?.code;
}

describe('component API over gRPC (real registry, 3-member k8ts store)', function () {
  this.timeout(20_000);
  let h: ApiHarness;
  let api: ApiClient;

  before(async function () {
    this.timeout(60_000);
    h = await startApiHarness(1);
    api = new ApiClient({ endpoints: h.endpoints });
  });
  after(async () => {
    api?.close();
    await h?.stop();
  });

  it('creates, gets and lists the same JSON the registry holds', async () => {
    const opts = { fieldManager: 'test' };
    const created = await api.create<ConfigMap>(CONFIGMAPS, 'default', cm('one'), opts);
    assert.equal(created.kind, 'ConfigMap');
    assert.ok(created.metadata.uid);
    assert.deepEqual(created.data, { a: '1' });
    const got = await api.get<ConfigMap>(CONFIGMAPS, 'default', 'one');
    const direct = await h.registry.get(ADMIN, resource('', 'configmaps'), 'default', 'one');
    assert.deepEqual(got, direct);
    const list = await api.list<ConfigMap>(CONFIGMAPS, 'default');
    assert.equal(list.kind, 'ConfigMapList');
    assert.equal(list.apiVersion, 'v1');
    assert.ok(list.metadata.resourceVersion);
    assert.deepEqual(list.items.find((i) => i.metadata.name === 'one'), got);
    const all = await api.list(CONFIGMAPS, undefined, { fieldSelector: 'metadata.name=one' });
    assert.deepEqual(all.items.map((i) => i.metadata.name), ['one']);
  });

  it('answers a write with its stored bytes and revision: the same JSON as encoding the object', async () => {
    const pods = resource('', 'pods');
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stored-answer', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject;
    const outs: KubeObject[] = [];
    const created = await h.registry.create(ADMIN, pods, 'default', body, { fieldManager: 'test' });
    outs.push(created.object);
    const status = { ...created.object, status: { phase: 'Running', podIP: '127.64.0.3' } } as KubeObject;
    outs.push((await h.registry.update(ADMIN, pods, 'default', 'stored-answer', status,
      { subresource: 'status' })).object);
    outs.push((await h.registry.patch(ADMIN, pods, 'default', 'stored-answer', 'application/merge-patch+json',
      '{"metadata":{"labels":{"c":"d"}}}', {})).object);
    for (const out of outs) {
      // Taken from the stored value (else this test checks nothing), and byte for byte the same.
      assert.ok(storedValueOf(out), 'the answer remembers its stored value');
      assert.ok(jsonBytesOf(out).equals(Buffer.from(JSON.stringify(out))));
    }
    const got = await api.get<KubeObject>(PODS, 'default', 'stored-answer');
    const answered = await api.update<KubeObject>(PODS, 'default', { ...got,
      metadata: { ...got.metadata, labels: { e: 'f' } } });
    assert.deepEqual(answered, await api.get<KubeObject>(PODS, 'default', 'stored-answer'));
  });

  it('omitManagedFields: a write answers without managedFields, what is stored keeps them', async () => {
    const lean = { omitManagedFields: true };
    const without = (o: KubeObject): string => {
      const { managedFields: _m, ...meta } = o.metadata;
      return JSON.stringify({ ...o, metadata: meta });
    };
    const answers: KubeObject[] = [];
    answers.push(await api.create<ConfigMap>(CONFIGMAPS, 'default', cm('lean'), { ...lean, fieldManager: 'test' }));
    const full = await api.get<ConfigMap>(CONFIGMAPS, 'default', 'lean');
    answers.push(await api.update<ConfigMap>(CONFIGMAPS, 'default', { ...full, data: { a: '2' } }, lean));
    answers.push(await api.patch<ConfigMap>(CONFIGMAPS, 'default', 'lean', 'application/merge-patch+json',
      { data: { a: '3' } }, { ...lean, fieldManager: 'patcher' }));
    const [batched] = await api.createBatch([{ r: CONFIGMAPS, ns: 'default', obj: cm('lean-batch') }],
      { ...lean, fieldManager: 'test' });
    answers.push(batched as KubeObject);
    let compared = 0;
    for (const a of answers) {
      assert.ok(!Object.hasOwn(a.metadata, 'managedFields'), `${a.metadata.name ?? ''} answered managedFields`);
      const stored = await api.get<ConfigMap>(CONFIGMAPS, 'default', a.metadata.name ?? '');
      if (stored.metadata.resourceVersion !== a.metadata.resourceVersion) continue;
      assert.ok((stored.metadata.managedFields?.length ?? 0) > 0, 'the stored object keeps them');
      assert.equal(JSON.stringify(a), without(stored));
      compared++;
    }
    assert.equal(compared, 2, 'the patch\'s and the batch\'s answers are the latest states');
    const last = await api.get<ConfigMap>(CONFIGMAPS, 'default', 'lean');
    assert.deepEqual(last.metadata.managedFields?.map((m) => m.manager).sort(), ['patcher', 'test']);
    assert.equal(JSON.stringify(answers[2]), without(last));
  });

  it('AlreadyExists and Conflict keep code, reason, message and details end to end', async () => {
    await api.create(CONFIGMAPS, 'default', cm('two'));
    const dup = await statusOf(api.create(CONFIGMAPS, 'default', cm('two')));
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.message, 'configmaps "two" already exists');
    assert.equal(grpcCode(dup), status.ALREADY_EXISTS);

    const cur = await api.get<ConfigMap>(CONFIGMAPS, 'default', 'two');
    await api.update(CONFIGMAPS, 'default', { ...cur, data: { a: '2' } });
    const stale = { ...cur, data: { a: '3' } };
    const err = await statusOf(api.update(CONFIGMAPS, 'default', stale));
    const r = resource('', 'configmaps');
    const direct = await statusOf(h.registry.update(ADMIN, r, 'default', 'two', stale, {}));
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.deepEqual(err.status, direct.status);
    const prefix = 'Operation cannot be fulfilled on configmaps "two": the object has been';
    assert.ok(err.message.startsWith(prefix), err.message);
    assert.equal(grpcCode(err), status.ABORTED);
  });

  it('merge patch; unknown fields warn by default, fail under Strict', async () => {
    await api.create(CONFIGMAPS, 'default', cm('three'));
    const type = 'application/merge-patch+json';
    const patched = await api.patch<ConfigMap>(CONFIGMAPS, 'default', 'three', type, {
      data: { b: '2' },
    });
    assert.deepEqual(patched.data, { a: '1', b: '2' });
    const warnings: string[] = [];
    const w = new ApiClient({ endpoints: h.endpoints, onWarning: (x) => warnings.push(x) });
    try {
      const body = { ...cm('four'), bogus: 1 };
      await w.create(CONFIGMAPS, 'default', body);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /unknown field "bogus"/);
      const five = { ...cm('five'), bogus: 1 };
      const opts = { fieldValidation: 'Strict' } as const;
      const strict = await statusOf(w.create(CONFIGMAPS, 'default', five, opts));
      assert.equal(strict.code, 400);
      assert.equal(grpcCode(strict), status.INVALID_ARGUMENT);
    } finally {
      w.close();
    }
  });

  it('deletes, then answers 404 NotFound with upstream wording', async () => {
    await api.create(CONFIGMAPS, 'default', cm('gone'));
    const out = await api.delete<ConfigMap>(CONFIGMAPS, 'default', 'gone');
    assert.equal(out.deleted, true);
    assert.equal(out.object.metadata.name, 'gone');
    const err = await statusOf(api.get(CONFIGMAPS, 'default', 'gone'));
    assert.equal(err.code, 404);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.message, 'configmaps "gone" not found');
    assert.deepEqual(err.status.details, { name: 'gone', kind: 'configmaps' });
    assert.equal(grpcCode(err), status.NOT_FOUND);
  });

  it('delete preconditions travel: a wrong uid is a 409', async () => {
    await api.create(CONFIGMAPS, 'default', cm('pre'));
    const opts = { preconditions: { uid: 'nope' } };
    const err = await statusOf(api.delete(CONFIGMAPS, 'default', 'pre', opts));
    assert.equal(err.code, 409);
    assert.equal((await api.get(CONFIGMAPS, 'default', 'pre')).metadata.name, 'pre');
  });

  it('binds a pending pod once; a second bind is a Conflict', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    };
    await api.create(PODS, 'default', pod);
    await api.bind('default', 'web', 'w1');
    const got = await api.get<KubeObject & { spec: { nodeName?: string } }>(PODS, 'default', 'web');
    assert.equal(got.spec.nodeName, 'w1');
    const again = await statusOf(api.bind('default', 'web', 'w2'));
    assert.equal(again.reason, 'Conflict');
    assert.match(again.message, /already assigned to node "w1"/);
    const missing = await statusOf(api.bind('default', 'nope', 'w1'));
    assert.equal(missing.reason, 'NotFound');
  });

  it('concurrent binds (BindBatch calls) each keep their own result', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `batch-${i}`);
    const pod = (name: string) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    for (const n of names) await api.create(PODS, 'default', pod(n));
    await api.bind('default', 'batch-0', 'w0');
    const results = await Promise.allSettled([
      ...names.map((n, i) => api.bind('default', n, `w${i}`)),
      api.bind('default', 'batch-missing', 'w1'),
      api.bind('default', 'batch-1', ''),
    ]);
    const reasons = results.map((r) => (r.status === 'fulfilled' ? 'ok' :
      (r.reason as StatusError).reason));
    assert.deepEqual(reasons, ['Conflict', ...names.slice(1).map(() => 'ok'), 'NotFound',
      'BadRequest']);
    for (const [i, n] of names.entries()) {
      const got = await api.get<KubeObject & { spec: { nodeName?: string } }>(PODS, 'default', n);
      assert.equal(got.spec.nodeName, `w${i}`);
    }
  });

  it('CreateBatch stores each create alone and answers each its object or Status', async () => {
    const out = await api.createBatch([
      { r: CONFIGMAPS, ns: 'default', obj: cm('cb-1') },
      { r: CONFIGMAPS, ns: 'default', obj: cm('one') }, // made by the first test
      { r: CONFIGMAPS, ns: 'default', obj: { ...cm('cb-bad'), metadata: { name: 'Bad_Name' } } },
      { r: CONFIGMAPS, ns: 'no-such-ns', obj: cm('cb-3') },
      { r: CONFIGMAPS, ns: 'default', obj: cm('cb-2', { b: '2' }) },
    ], { fieldManager: 'batch' });
    const kinds = out.map((o) => (o instanceof Error ? (o as StatusError).reason : o.metadata.name));
    assert.deepEqual(kinds, ['cb-1', 'AlreadyExists', 'Invalid', 'NotFound', 'cb-2']);
    const got = await api.get<ConfigMap>(CONFIGMAPS, 'default', 'cb-2');
    assert.deepEqual(got, out[4]);
    assert.deepEqual(got.data, { b: '2' });
    assert.equal(got.metadata.managedFields?.[0]?.manager, 'batch');
    const list = await api.list<ConfigMap>(CONFIGMAPS, 'default');
    assert.ok(!list.items.some((c) => c.metadata.name === 'Bad_Name'));
  });

  it('an unknown resource is the router 404', async () => {
    const widgets = { group: '', version: 'v1', resource: 'widgets' };
    const err = await statusOf(api.get(widgets, 'default', 'x'));
    assert.equal(err.code, 404);
    assert.equal(err.message, 'the server could not find the requested resource');
    assert.equal(grpcCode(err), status.NOT_FOUND);
    const nodes = { group: '', version: 'v1', resource: 'nodes' };
    const ns = await statusOf(api.get(nodes, 'default', 'x'));
    assert.equal(ns.code, 404, 'a cluster-scoped resource has no namespaced path');
  });

  it('bad JSON is INVALID_ARGUMENT with the REST 400 Status in the trailer', async () => {
    const creds = channelCredentials(undefined);
    const raw = new ApiServiceClient(h.endpoints[0] ?? '', creds, channelOptions());
    try {
      const req = {
        group: '', version: 'v1', resource: 'configmaps', namespace: 'default', subresource: '',
        objectJson: Buffer.from('{"metadata": {"name": '),
        fieldManager: '', dryRun: false, fieldValidation: '', omitManagedFields: false,
      };
      let caught: ServiceError | undefined;
      const mapError = (e: ServiceError): Error => ((caught = e), e);
      await unary(raw, raw.create, req, 5_000, { mapError }).catch(() => {});
      assert.equal(caught?.code, status.INVALID_ARGUMENT);
      assert.equal(caught?.metadata.get(STATUS_TRAILER).length, 1);
      const err = mapServiceError(caught as ServiceError);
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 400);
      assert.equal(err.reason, 'BadRequest');
      assert.match(err.message, /^the request body is not valid JSON: /);
      const list = await api.list(CONFIGMAPS, 'default');
      assert.equal(list.items.filter((i) => i.metadata.name === undefined).length, 0);
    } finally {
      raw.close();
    }
  });

  it('passes the caller and traceparent into the RequestContext', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await api.create(CONFIGMAPS, 'default', cm('traced'), { traceparent: tp });
    const ctx = h.seen.at(-1);
    assert.equal(ctx?.traceparent, tp);
    const groups = ['system:masters', 'system:authenticated'];
    assert.deepEqual(ctx?.user, { name: 'system:admin', groups });
    await api.get(CONFIGMAPS, 'default', 'traced', { traceparent: 'garbage' });
    assert.equal(h.seen.at(-1)?.traceparent, undefined, 'an invalid traceparent is ignored');
  });
});

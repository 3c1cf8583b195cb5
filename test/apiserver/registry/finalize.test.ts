/**
 * namespaces/finalize against a real API server (k8ts store): the namespace controller's write
 * of spec.finalizers, on the component API (update, subresource "finalize") and on REST
 * (PUT /api/v1/namespaces/{name}/finalize). Only spec.finalizers changes; a terminating
 * namespace left without finalizers is removed; discovery lists the subresource as upstream.
 */
import assert from 'node:assert/strict';
import { rejection } from '../../support/status.js';
import type { Namespace } from '../../../src/api/core/v1/cluster-kinds.js';
import { useApiCluster } from '../../support/apiserver.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

function ns(name: string): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

describe('namespaces/finalize', function () {
  this.timeout(30_000);
  const fx = useApiCluster();

  /** restFinalize PUTs body to /api/v1/namespaces/{name}/finalize (or another method). */
  async function rest(method: string, name: string, body?: unknown): Promise<Response> {
    const url = `${fx.cluster.urls[0] ?? ''}/api/v1/namespaces/${name}/finalize`;
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(url, init);
  }

  it('a deleted namespace stays Terminating until finalize empties spec.finalizers', async () => {
    await fx.api.create(NAMESPACES, undefined, ns('doomed'));
    const del = await fx.api.delete<Namespace>(NAMESPACES, undefined, 'doomed');
    assert.equal(del.deleted, false);
    const terminating = await fx.api.get<Namespace>(NAMESPACES, undefined, 'doomed');
    assert.equal(terminating.status?.phase, 'Terminating');
    assert.deepEqual(terminating.spec?.finalizers, ['kubernetes']);
    assert.ok(terminating.metadata.deletionTimestamp);
    const body = { ...terminating, spec: { finalizers: [] } };
    await fx.api.update(NAMESPACES, undefined, body, { subresource: 'finalize' });
    const err = await rejection(fx.api.get(NAMESPACES, undefined, 'doomed'));
    assert.equal(err.code, 404);
  });

  it('finalize on a live namespace changes spec.finalizers only and keeps the namespace', async () => {
    const made = await fx.api.create<Namespace>(NAMESPACES, undefined, ns('live'));
    const body: Namespace = {
      ...made,
      metadata: { ...made.metadata, labels: { ignored: 'yes' } },
      spec: { finalizers: [] },
      status: { phase: 'Terminating' },
    };
    const out = await fx.api.update<Namespace>(NAMESPACES, undefined, body, { subresource: 'finalize' });
    assert.deepEqual(out.spec?.finalizers ?? [], []);
    const got = await fx.api.get<Namespace>(NAMESPACES, undefined, 'live');
    assert.deepEqual(got.spec?.finalizers ?? [], []);
    assert.equal(got.metadata.labels, undefined, 'labels from a finalize body are ignored');
    assert.equal(got.status?.phase, 'Active', 'status from a finalize body is ignored');
    assert.equal(got.metadata.deletionTimestamp, undefined);
  });

  it('a plain update cannot change spec.finalizers; finalize can add one', async () => {
    const made = await fx.api.create<Namespace>(NAMESPACES, undefined, ns('keepfin'));
    const plain = await fx.api.update<Namespace>(NAMESPACES, undefined, { ...made, spec: { finalizers: [] } });
    assert.deepEqual(plain.spec?.finalizers, ['kubernetes']);
    const added = { ...plain, spec: { finalizers: ['kubernetes', 'example.com/x'] } };
    const out = await fx.api.update<Namespace>(NAMESPACES, undefined, added, { subresource: 'finalize' });
    assert.deepEqual(out.spec?.finalizers, ['kubernetes', 'example.com/x']);
    const bad = { ...out, spec: { finalizers: ['not a name'] } };
    const err = await rejection(fx.api.update(NAMESPACES, undefined, bad, { subresource: 'finalize' }));
    assert.equal(err.code, 422);
  });

  it('REST: PUT .../finalize finalizes; GET and PATCH are 405', async () => {
    await fx.api.create(NAMESPACES, undefined, ns('viarest'));
    await fx.api.delete(NAMESPACES, undefined, 'viarest');
    const cur = await fx.api.get<Namespace>(NAMESPACES, undefined, 'viarest');
    const put = await rest('PUT', 'viarest', { ...cur, spec: { finalizers: [] } });
    assert.equal(put.status, 200, await put.clone().text());
    const gone = await rejection(fx.api.get(NAMESPACES, undefined, 'viarest'));
    assert.equal(gone.code, 404);
    await fx.api.create(NAMESPACES, undefined, ns('restverbs'));
    assert.equal((await rest('GET', 'restverbs')).status, 405);
    assert.equal((await rest('PATCH', 'restverbs', { spec: { finalizers: [] } })).status, 405);
  });

  it('gRPC: only update reaches finalize; patch is 405', async () => {
    await fx.api.create(NAMESPACES, undefined, ns('grpcverbs'));
    const merge = 'application/merge-patch+json';
    const patch = fx.api.patch(NAMESPACES, undefined, 'grpcverbs', merge, { spec: { finalizers: [] } },
      { subresource: 'finalize' });
    assert.equal((await rejection(patch)).code, 405);
  });

  it('discovery lists namespaces/finalize (update) as upstream; kubectl api-resources works', async () => {
    const legacy = await (await fetch(`${fx.cluster.urls[0] ?? ''}/api/v1`)).json() as {
      resources: { name: string; kind: string; verbs: string[] }[];
    };
    const names = legacy.resources.map((r) => r.name).filter((n) => n.startsWith('namespaces'));
    assert.deepEqual(names, ['namespaces', 'namespaces/finalize', 'namespaces/status']);
    const fin = legacy.resources.find((r) => r.name === 'namespaces/finalize');
    assert.deepEqual({ kind: fin?.kind, verbs: fin?.verbs }, { kind: 'Namespace', verbs: ['update'] });
    const r = await fx.cluster.kubectl(['api-resources', '--api-group=']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });
});

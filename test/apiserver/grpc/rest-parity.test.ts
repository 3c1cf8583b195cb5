/**
 * Both faces serve the same objects and the same failures: a real ApiServer (REST over HTTP)
 * with the component API added on its own registry, as the API server process does. What one
 * face writes the other reads byte for byte after parsing, and a Status from REST equals the
 * StatusError the gRPC client rebuilds from the trailer.
 */
import assert from 'node:assert/strict';
import type { Server } from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/api/meta.js';
import { StatusError } from '../../../src/api/errors.js';
import { systemClock } from '../../../src/base/clock.js';
import { addApiService } from '../../../src/apiserver/grpc/api-service.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { serverCredentials } from '../../../src/rpc/credentials.js';
import { bind, newServer } from '../../../src/rpc/server.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';
import { CONFIGMAPS } from './harness.js';

async function rest(
  url: string,
  method = 'GET',
  body?: unknown,
): Promise<{ code: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { code: res.status, json: await res.json() };
}

describe('component API and REST serve the same objects and Statuses', function () {
  this.timeout(20_000);
  let cluster: ApiCluster;
  let grpc: Server;
  let api: ApiClient;
  let base: string;

  before(async function () {
    this.timeout(60_000);
    cluster = await startApiCluster({ servers: 1 });
    const registry = cluster.servers[0]?.registry;
    assert.ok(registry, 'ApiServer exposes its registry once started');
    grpc = newServer();
    addApiService(grpc, registry, { insecure: true, clock: systemClock, log: () => {} });
    const port = await bind(grpc, '127.0.0.1:0', serverCredentials(undefined));
    api = new ApiClient({ endpoints: [`127.0.0.1:${port}`] });
    base = `${cluster.urls[0] ?? ''}/api/v1/namespaces/default/configmaps`;
  });
  after(async () => {
    api?.close();
    grpc?.forceShutdown();
    await cluster?.stop();
  });

  it('an object written over gRPC reads the same over REST, and back', async () => {
    const viaGrpc = await api.create(CONFIGMAPS, 'default', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p1' }, data: { a: '1' },
    });
    assert.deepEqual((await rest(`${base}/p1`)).json, viaGrpc);
    const posted = await rest(base, 'POST', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p2' }, data: { b: '2' },
    });
    assert.equal(posted.code, 201);
    assert.deepEqual(await api.get<KubeObject>(CONFIGMAPS, 'default', 'p2'), posted.json);
    const list = await api.list(CONFIGMAPS, 'default');
    const restList = (await rest(base)).json as { items: unknown[] };
    assert.deepEqual(list.items, restList.items);
  });

  it('the same failure is the same Status on both faces', async () => {
    const missing = await rest(`${base}/nope`);
    const err = await api.get(CONFIGMAPS, 'default', 'nope').catch((e: unknown) => e);
    assert.ok(err instanceof StatusError);
    assert.equal(missing.code, err.code);
    assert.deepEqual(err.status, missing.json);

    const cur = await api.get<KubeObject>(CONFIGMAPS, 'default', 'p1');
    await api.update(CONFIGMAPS, 'default', { ...cur, data: { a: '2' } });
    const stale = { ...cur, data: { a: '3' } };
    const viaRest = await rest(`${base}/p1`, 'PUT', stale);
    const viaGrpc = await api.update(CONFIGMAPS, 'default', stale).catch((e: unknown) => e);
    assert.ok(viaGrpc instanceof StatusError);
    assert.equal(viaRest.code, 409);
    assert.deepEqual(viaGrpc.status, viaRest.json);
  });
});

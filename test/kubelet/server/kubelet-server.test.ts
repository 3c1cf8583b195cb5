/**
 * The kubelet server over TLS: client certificates are verified against the cluster CA, the
 * plain endpoints answer as upstream's do, and the API server reaches it with its kubelet client
 * certificate (kubeletClientTls) for `pods/log`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiServer } from '../../../src/apiserver/server.js';
import { KubeletServer, type TlsPem } from '../../../src/kubelet/server/kubelet-server.js';
import { LogError, type LogSource } from '../../../src/kubelet/server/types.js';
import { makePki } from '../../support/pki.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';

interface Reply {
  code: number;
  body: string;
}

const logs: LogSource = {
  async streamLogs(req, out) {
    if (req.container !== 'main') throw new LogError(404, `container "${req.container}" not found`);
    out.write(`hello from ${req.namespace}/${req.pod}/${req.container}\n`);
  },
};

describe('kubelet server over TLS', function () {
  this.timeout(30_000);
  let dir: string;
  let kubelet: KubeletServer;
  let port: number;
  const pem = (name: string): Buffer => readFileSync(join(dir, name));

  function get(path: string, identity?: 'client' | 'rogue', method = 'GET'): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path, method, ca: pem('ca.crt'),
        ...(identity ? { key: pem(`${identity}.key`), cert: pem(`${identity}.crt`) } : {}),
      }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-tls-'));
    makePki(dir, ['kubelet']);
    const tls: TlsPem = { key: pem('kubelet.key'), cert: pem('kubelet.crt'), ca: pem('ca.crt') };
    kubelet = new KubeletServer({
      host: '127.0.0.1', port: 0, tls,
      cri: {
        exec: () => Promise.reject(new Error('unused')),
        attach: () => Promise.reject(new Error('unused')),
        portForward: () => Promise.reject(new Error('unused')),
      },
      resolve: () => undefined,
      logs,
      pods: () => [{
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
      }],
      wallMs: systemWallMs,
    });
    port = await kubelet.start();
  });
  after(async () => {
    await kubelet?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a client certificate signed by the cluster CA', async () => {
    assert.deepEqual(await get('/healthz', 'client'), { code: 200, body: 'ok' });
    const reply = await get('/pods', 'client');
    const pods = JSON.parse(reply.body) as { kind: string; items: unknown[] };
    assert.equal(pods.kind, 'PodList');
    assert.equal(pods.items.length, 1);
  });

  it('refuses clients without a certificate or with one from another CA', async () => {
    await assert.rejects(get('/healthz'));
    await assert.rejects(get('/healthz', 'rogue'));
  });

  it('containerLogs streams the LogSource; errors and bad queries keep their codes', async () => {
    assert.deepEqual(await get('/containerLogs/default/web/main', 'client'),
      { code: 200, body: 'hello from default/web/main\n' });
    assert.equal((await get('/containerLogs/default/web/side', 'client')).code, 404);
    const bad = await get('/containerLogs/default/web/main?tailLines=-1', 'client');
    assert.equal(bad.code, 400);
    assert.match(bad.body, /tailLines/);
    const both = await get(
      '/containerLogs/default/web/main?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z',
      'client',
    );
    assert.match(both.body, /at most one of `sinceTime` or `sinceSeconds`/);
  });

  it('exec without an upgrade is 400, unknown paths 404, wrong methods 405', async () => {
    const exec = await get('/exec/default/web/main?command=ls&stdout=1', 'client', 'POST');
    assert.deepEqual(exec, { code: 400, body: 'Upgrade request required' });
    assert.equal((await get('/nope', 'client')).code, 404);
    assert.equal((await get('/pods', 'client', 'POST')).code, 405);
  });

  describe('reached by the API server with its kubelet client certificate', () => {
    let store: StoreCluster;
    let api: ApiServer;
    let base: string;
    const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
      const res = await fetch(base + path, {
        method, ...(body !== undefined ? {
          body: JSON.stringify(body),
          headers: { 'Content-Type': 'application/json' },
        } : {}),
      });
      return { code: res.status, body: await res.text() };
    };

    before(async () => {
      store = await startStoreCluster(3);
      api = new ApiServer({
        etcd: { endpoints: store.endpoints }, listen: '127.0.0.1:0', clock: systemClock,
        wallMs: systemWallMs, seed: 7, log: () => {},
        kubeletClientTls: { key: pem('client.key'), cert: pem('client.crt'), ca: pem('ca.crt') },
      });
      base = `http://127.0.0.1:${(await api.start()).port}`;
      await call(
        'POST',
        '/api/v1/nodes',
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
      );
      const node = JSON.parse((await call('GET', '/api/v1/nodes/n1')).body) as object;
      await call('PUT', '/api/v1/nodes/n1/status', {
        ...node,
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
        },
      });
      await call('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
        spec: { nodeName: 'n1', containers: [{ name: 'main', image: 'busybox' }] },
      });
    });
    after(async () => {
      await api?.stop();
      await store?.stop();
    });

    it('pods/log comes back through mutual TLS', async () => {
      assert.deepEqual(await call('GET', '/api/v1/namespaces/default/pods/web/log'),
        { code: 200, body: 'hello from default/web/main\n' });
    });

    it('a container the pod does not have is a 400 before the kubelet is asked', async () => {
      const r = await call('GET', '/api/v1/namespaces/default/pods/web/log?container=side');
      assert.equal(r.code, 400);
      assert.match(r.body, /container side is not valid for pod web/);
    });
  });
});

/**
 * Failover between API servers: three gRPC servers over one registry (as three masters over one
 * store). Killing the server a client uses moves its reads, writes and explicit-resourceVersion
 * watches to the next one; a client whose first endpoint is already dead never notices.
 * Also mTLS: the caller's certificate CN/O reach the registry as user and groups.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { RpcError, UnavailableRpcError } from '../../../src/rpc/errors.js';
import { makeCa } from '../../support/pki.js';
import { CONFIGMAPS, startApiHarness, take, type ApiHarness } from './harness.js';

function cm(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } };
}

describe('component API failover (3 API gRPC servers, one registry)', function () {
  this.timeout(20_000);
  let h: ApiHarness;
  const clients: ApiClient[] = [];
  const client = (endpoints: string[]): ApiClient => {
    const c = new ApiClient({ endpoints, timeoutMs: 5_000 });
    clients.push(c);
    return c;
  };

  before(async function () {
    this.timeout(60_000);
    h = await startApiHarness(3);
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await h?.stop();
  });

  it('reads and writes continue on the next server when the current one dies', async () => {
    const [a = '', b = ''] = h.endpoints;
    const api = client([a, b]);
    await api.create(CONFIGMAPS, 'default', cm('f1'));
    assert.equal(api.endpoint, a);
    h.killServer(0);
    assert.equal((await api.get(CONFIGMAPS, 'default', 'f1')).metadata.name, 'f1');
    assert.equal(api.endpoint, b);
    await api.create(CONFIGMAPS, 'default', cm('f2'));
    const names = (await api.list(CONFIGMAPS, 'default')).items.map((i) => i.metadata.name);
    assert.ok(names.includes('f1') && names.includes('f2'));
  });

  it('a write whose first server is down goes to the next (it provably never left)', async () => {
    const [a = '', b = ''] = h.endpoints;
    const api = client([a, b]);
    await api.create(CONFIGMAPS, 'default', cm('f3'));
    assert.equal(api.endpoint, b);
    const err = await api.create(CONFIGMAPS, 'default', cm('f3')).catch((e: unknown) => e);
    const answered = err instanceof StatusError && err.reason === 'AlreadyExists';
    assert.ok(answered, 'an API answer is not retried');
  });

  it('no server reachable: UnavailableRpcError within the deadline', async () => {
    const api = new ApiClient({ endpoints: [h.endpoints[0] ?? ''], timeoutMs: 1_500 });
    clients.push(api);
    const t0 = Date.now();
    const err = await api.get(CONFIGMAPS, 'default', 'f1').catch((e: unknown) => e);
    assert.ok(err instanceof UnavailableRpcError, `got ${String(err)}`);
    assert.ok(Date.now() - t0 < 3_000);
  });

  it('a watch from an explicit resourceVersion resumes on the next server', async () => {
    const [, b = '', c = ''] = h.endpoints;
    const api = client([b, c]);
    const rv = (await api.list(CONFIGMAPS, 'default')).metadata.resourceVersion ?? '';
    const w = api.watch(CONFIGMAPS, 'default', { resourceVersion: rv, labelSelector: 'f=w' });
    const it = w[Symbol.asyncIterator]();
    const labelled = (name: string): KubeObject =>
      ({ ...cm(name), metadata: { name, labels: { f: 'w' } } });
    try {
      await api.create(CONFIGMAPS, 'default', labelled('w1'));
      assert.deepEqual((await take(it, 1)).map((e) => e.object.metadata.name), ['w1']);
      h.killServer(1);
      await api.create(CONFIGMAPS, 'default', labelled('w2'));
      await api.delete(CONFIGMAPS, 'default', 'w1');
      const events = await take(it, 2);
      const seen = events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
      assert.deepEqual(seen, ['ADDED w2', 'DELETED w1']);
      assert.equal(api.endpoint, c);
    } finally {
      w.stop();
    }
  });

  it('a watch from the current state is not resumed after a break (relist)', async () => {
    const d = await h.startServer();
    const e = await h.startServer();
    const api = client([d, e]);
    const w = api.watch(CONFIGMAPS, 'default', { labelSelector: 'f=fresh' });
    const it = w[Symbol.asyncIterator]();
    try {
      const n1 = { ...cm('n1'), metadata: { name: 'n1', labels: { f: 'fresh' } } };
      await api.create(CONFIGMAPS, 'default', n1);
      assert.deepEqual((await take(it, 1)).map((x) => x.object.metadata.name), ['n1']);
      h.killServer(h.endpoints.indexOf(d));
      const err = await it.next().catch((x: unknown) => x);
      assert.ok(err instanceof RpcError && !(err instanceof StatusError), `got ${String(err)}`);
    } finally {
      w.stop();
    }
  });

  it('mTLS: the certificate CN is the user and O the groups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-grpc-pki-'));
    try {
      makeCa(dir);
      certificate(dir, 'server', '/CN=kube-apiserver');
      certificate(dir, 'kubelet', '/O=system:nodes/CN=system:node:w1');
      const pem = (n: string) => ({
        caFile: join(dir, 'ca.crt'),
        certFile: join(dir, `${n}.crt`),
        keyFile: join(dir, `${n}.key`),
      });
      const ep = await h.startServer(pem('server'));
      const api = new ApiClient({ endpoints: [ep], tls: pem('kubelet') });
      clients.push(api);
      await api.get(CONFIGMAPS, 'default', 'f1');
      const groups = ['system:nodes', 'system:authenticated'];
      assert.deepEqual(h.seen.at(-1)?.user, { name: 'system:node:w1', groups });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** certificate writes <name>.crt/.key signed by dir/ca, with the given subject. */
function certificate(dir: string, name: string, subject: string): void {
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ext = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n';
  writeFileSync(join(dir, `${name}.ext`), ext);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
}

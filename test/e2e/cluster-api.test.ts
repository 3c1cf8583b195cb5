/**
 * `k8ts up` as a user runs it, with API servers: the cluster PKI, HTTPS on every master, the
 * kubeconfig merged into the user's as context k8ts-<name>, authentication by client
 * certificate and by bearer token, 401 for anonymous callers, and one master's API server
 * killed and restarted while the others keep serving. Everything on 127.0.0.1 ephemeral ports.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { runK8ts, tempHome, type K8tsResult } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';
import { runKubectl } from '../support/apiserver.js';
import { ApiClient } from '../../src/client/api-client.js';

type Result = K8tsResult;

const k8ts = runK8ts;

function get(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('e2e: k8ts up with API servers (HTTPS, PKI, kubeconfig, auth)', function () {
  this.timeout(120_000);
  const home = tempHome('k8ts-api-');
  const userKubeconfig = join(home.dir, '.kube', 'config');
  let apis: string[] = [];
  let grpcs: string[] = [];
  let ca: Buffer;

  before(async () => {
    const ports = await freePorts(12);
    const members = [0, 1, 2].map((i) =>
      `  - { id: ${i + 1}, name: m${i + 1}, address: 127.0.0.1:${ports[4 * i]}, client: 127.0.0.1:${ports[4 * i + 1]}, api: 127.0.0.1:${ports[4 * i + 2]}, grpc: 127.0.0.1:${ports[4 * i + 3]} }`);
    apis = [0, 1, 2].map((i) => `127.0.0.1:${ports[4 * i + 2]}`);
    grpcs = [0, 1, 2].map((i) => `127.0.0.1:${ports[4 * i + 3]}`);
    const cfg = join(home.dir, 'api.yaml');
    writeFileSync(cfg, ['name: api', 'members:', ...members, 'timing: { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 }', ''].join('\n'));
    const up = await k8ts(home.dir, 'up', '-f', cfg);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stdout, /m1\/apiserver ready at https:\/\/127\.0\.0\.1:\d+/);
    ca = readFileSync(join(home.dir, 'k8ts', 'api', 'pki', 'ca.crt'));
  });
  after(async () => {
    await k8ts(home.dir, 'down', '--name', 'api', '--purge');
    home.remove();
  });

  const kubectl = (args: string[]): Promise<Result> => runKubectl(home.dir, userKubeconfig, args);

  it('merges context k8ts-api into the user kubeconfig; kubectl authenticates by certificate', async () => {
    const text = readFileSync(userKubeconfig, 'utf8');
    assert.match(text, /current-context: k8ts-api/);
    const r = await kubectl(['get', 'ns']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kube-system\s+Active/m);
    const who = await kubectl(['get', '--raw', '/version']);
    assert.match(who.stdout, /"minor":"32"/);
  });

  it('k8ts status shows each master\'s API server ready', async () => {
    const r = await k8ts(home.dir, 'status', '--name', 'api');
    assert.equal(r.code, 0, r.stderr);
    for (const api of apis) assert.match(r.stdout, new RegExp(`${api.replace(/\./g, '\\.')} ready`));
  });

  it('a bearer token from the token file authenticates; a wrong one and none get 401', async () => {
    const token = readFileSync(join(home.dir, 'k8ts', 'api', 'pki', 'tokens.csv'), 'utf8').split(',')[0] ?? '';
    const ok = await get(`https://${apis[1] ?? ''}/api/v1/namespaces`, ca, { Authorization: `Bearer ${token}` });
    assert.equal(ok.code, 200);
    const wrong = await get(`https://${apis[1] ?? ''}/api/v1/namespaces`, ca, { Authorization: 'Bearer nope' });
    assert.equal(wrong.code, 401);
    assert.equal((JSON.parse(wrong.body) as { reason: string }).reason, 'Unauthorized');
    const anonymous = await get(`https://${apis[2] ?? ''}/api/v1/namespaces`, ca);
    assert.equal(anonymous.code, 401);
    // system:public-info-viewer: health and version answer anyone, a single check does not.
    const readyz = await get(`https://${apis[2] ?? ''}/readyz`, ca);
    assert.deepEqual([readyz.code, readyz.body], [200, 'ok']);
    assert.equal((await get(`https://${apis[2] ?? ''}/version`, ca)).code, 200);
    assert.equal((await get(`https://${apis[2] ?? ''}/readyz/etcd`, ca)).code, 401);
  });

  it('the component gRPC API serves the same objects over mTLS, as the scheduler will use it', async () => {
    const pki = join(home.dir, 'k8ts', 'api', 'pki');
    const client = new ApiClient({
      endpoints: grpcs,
      tls: { caFile: join(pki, 'ca.crt'), certFile: join(pki, 'kube-scheduler.crt'), keyFile: join(pki, 'kube-scheduler.key') },
    });
    try {
      const ns = await client.list({ group: '', version: 'v1', resource: 'namespaces' }, undefined);
      assert.ok(ns.items.some((n) => n.metadata.name === 'kube-system'));
    } finally {
      client.close();
    }
  });

  it('killing one master\'s API server leaves the others serving; restart brings it back', async () => {
    const kill = await k8ts(home.dir, 'kill', 'm1/apiserver', '--name', 'api');
    assert.equal(kill.code, 0, kill.stderr);
    const other = await runKubectl(home.dir, userKubeconfig, ['--server', `https://${apis[1] ?? ''}`, 'create', 'cm', 'after-kill']);
    assert.equal(other.code, 0, other.stderr);
    const back = await k8ts(home.dir, 'restart', 'm1/apiserver', '--name', 'api');
    assert.equal(back.code, 0, back.stderr);
    const r = await kubectl(['get', 'cm', 'after-kill', '-o', 'name']);
    assert.equal(r.stdout.trim(), 'configmap/after-kill');
  });

  it('down --purge removes the context from the user kubeconfig', async () => {
    const down = await k8ts(home.dir, 'down', '--name', 'api', '--purge');
    assert.equal(down.code, 0, down.stderr);
    assert.doesNotMatch(readFileSync(userKubeconfig, 'utf8'), /k8ts-api/);
  });
});

/**
 * The real kubectl against the discovery, /version and OpenAPI documents: a tiny node:http
 * server on 127.0.0.1 (ephemeral port) answers only those plus an empty pod list, and kubectl
 * 1.27 (v2beta1 discovery), 1.32 and 1.33 (v2) must list resources with their short names and get
 * pods. Every packet stays on the loopback interface.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';
import { podPrinter } from '../../../src/api/printers/pods.js';
import { toTable } from '../../../src/api/printers/index.js';
import {
  discoveryCore, discoveryGroup, discoveryGroups, discoveryResources, type Rendered,
} from '../../../src/apiserver/discovery/index.js';
import { versionInfo } from '../../../src/apiserver/discovery/version.js';
import { openApiDocument, openApiIndex } from '../../../src/apiserver/openapi/index.js';

const BIN = '/usr/lib/google-cloud-sdk/bin';
const DISPATCHER = '/usr/bin/kubectl';

interface Seen {
  url: string;
  accept: string;
  userAgent: string;
}

function send(res: http.ServerResponse, code: number, doc: Rendered | undefined): void {
  const d = doc ?? { contentType: 'application/json', body: { kind: 'Status', apiVersion: 'v1',
    metadata: {}, status: 'Failure', reason: 'NotFound', code: 404,
    message: 'the server could not find the requested resource' } };
  const text = JSON.stringify(d.body);
  res.writeHead(doc ? code : 404, { 'Content-Type': d.contentType });
  res.end(text);
}

function route(url: URL, accept: string, address: string): Rendered | undefined {
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const json = (body: unknown): Rendered => ({ contentType: 'application/json', body });
  const [a, b, c, d, e] = parts;
  if (url.pathname === '/version') return json(versionInfo());
  if (url.pathname === '/api') return discoveryCore(accept, address);
  if (url.pathname === '/apis') return discoveryGroups(accept);
  if (a === 'api' && b && parts.length === 2) return discoveryResources('', b);
  if (a === 'apis' && b && parts.length === 2) return discoveryGroup(b);
  if (a === 'apis' && b && c && parts.length === 3) return discoveryResources(b, c);
  if (a === 'openapi' && b === 'v3' && parts.length === 2) return openApiIndex();
  if (a === 'openapi' && c === 'api' && d) return openApiDocument('', d);
  if (a === 'openapi' && c === 'apis' && d && e) return openApiDocument(d, e);
  if (url.pathname === '/api/v1/namespaces/default/pods') {
    const meta = { resourceVersion: '7' };
    if (accept.includes('as=Table')) {
      return json(toTable(podPrinter, [], Date.now(), 'Metadata', meta));
    }
    return json({ kind: 'PodList', apiVersion: 'v1', metadata: meta, items: [] });
  }
  return undefined;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv):
  Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the real kubectl against k8ts discovery documents', function () {
  this.timeout(120_000);
  let server: http.Server;
  let dir: string;
  let port = 0;
  const seen: Seen[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-discovery-'));
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const accept = req.headers.accept ?? '';
      seen.push({ url: req.url ?? '', accept, userAgent: req.headers['user-agent'] ?? '' });
      send(res, 200, route(url, accept, `127.0.0.1:${port}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config', 'current-context: k8ts',
      'clusters: [{name: k8ts, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: anon, user: {}}]',
      'contexts: [{name: k8ts, context: {cluster: k8ts, user: anon}}]', '',
    ].join('\n'));
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(bin: string, cacheName: string, ...args: string[]):
    Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
    return run(bin, ['--cache-dir', join(dir, cacheName), ...args], env);
  }

  for (const minor of ['27', '32', '33']) {
    const bin = `${BIN}/kubectl.1.${minor}`;
    it(`kubectl 1.${minor}: api-resources lists resources with short names`, async function () {
      if (!existsSync(bin)) this.skip();
      const before = seen.length;
      const r = await kubectl(bin, `cache-${minor}-a`, 'api-resources');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
      assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(r.stdout, /^nodes\s+no\s+v1\s+false\s+Node$/m);
      const discovery = seen.slice(before).filter((s) => s.url.startsWith('/api?'));
      const wanted = minor === '27' ? 'v=v2beta1;' : 'v=v2;';
      assert.ok(discovery.some((s) => s.accept.includes(wanted)), 'aggregated discovery asked');
    });

    it(`kubectl 1.${minor}: get pods finds none`, async function () {
      if (!existsSync(bin)) this.skip();
      const r = await kubectl(bin, `cache-${minor}-b`, 'get', 'pods');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /No resources found in default namespace\./);
    });
  }

  it('kubectl 1.32: get po (short name) and the legacy /api/v1 list', async function () {
    const bin = `${BIN}/kubectl.1.32`;
    if (!existsSync(bin)) this.skip();
    const r = await kubectl(bin, 'cache-32-c', 'get', 'po');
    assert.equal(r.code, 0, r.stderr);
    const raw = await kubectl(bin, 'cache-32-c', 'get', '--raw', '/api/v1');
    assert.equal(raw.code, 0, raw.stderr);
    const names = (JSON.parse(raw.stdout) as { resources: { name: string }[] }).resources
      .map((x) => x.name);
    assert.ok(names.includes('pods/eviction'));
  });

  it('kubectl 1.32: create -f validates with our OpenAPI v3, no warning', async function () {
    const bin = `${BIN}/kubectl.1.32`;
    if (!existsSync(bin)) this.skip();
    const manifest = join(dir, 'deploy.yaml');
    writeFileSync(manifest, [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}',
      'spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}},',
      '  spec: {containers: [{name: web, image: nginx}]}}}', '',
    ].join('\n'));
    const before = seen.length;
    const r = await kubectl(bin, 'cache-32-d', 'create', '-f', manifest, '--dry-run=client',
      '-o', 'name');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web');
    assert.equal(r.stderr, '');
    const urls = seen.slice(before).map((s) => s.url);
    assert.ok(urls.some((u) => /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}/.test(u)),
      urls.join(' '));
  });

  it('the gcloud dispatcher runs kubectl 1.32 for our /version', async function () {
    if (!existsSync(DISPATCHER)) this.skip();
    const before = seen.length;
    const r = await kubectl(DISPATCHER, 'cache-dispatch', 'get', '--raw', '/version');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { gitVersion: string }).gitVersion, 'v1.32.0+k8ts');
    const agents = seen.slice(before).map((s) => s.userAgent);
    assert.ok(agents.some((a) => a.startsWith('kubectl-dispatcher/')), agents.join('; '));
    assert.ok(agents.some((a) => /^kubectl[^ ]*\/v1\.32\./.test(a)), agents.join('; '));
  });
});

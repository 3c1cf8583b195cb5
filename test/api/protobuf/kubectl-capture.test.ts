/**
 * The decoder against the real producer: kubectl 1.32 and 1.33 send protobuf bodies for their
 * typed-client commands (`create <generator>`, `autoscale`, `create token`, `auth can-i`). A tiny
 * HTTP server records each POST body and answers 201 with the decoded JSON; the test compares
 * that JSON with what the same command prints under `--dry-run=client -o json` (the object
 * kubectl would have sent as JSON), or, for commands without a dry run, with the expected
 * object. Only /version, a two-group aggregated discovery (autoscale maps "deployment" and
 * needs its scale subresource) and GETs of created objects are served.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { decodeKubeProtobuf } from '../../../src/api/protobuf/decode.js';

const run = promisify(execFile);

interface Capture {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

const DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** discovery is the aggregated list for /api or /apis: just what `autoscale` resolves. */
function discovery(path: string): unknown {
  const resource = (group: string, resource: string, kind: string) => ({
    resource,
    responseKind: { group, version: 'v1', kind },
    scope: 'Namespaced',
    singularResource: kind.toLowerCase(),
    verbs: ['create', 'get', 'list'],
    subresources: [{
      subresource: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    }],
  });
  const group = (name: string, ...resources: unknown[]) => ({
    metadata: name ? { name } : {},
    versions: [{ version: 'v1', freshness: 'Current', resources }],
  });
  const items = path.startsWith('/apis')
    ? [
        group('apps', resource('apps', 'deployments', 'Deployment')),
        group('autoscaling', resource('autoscaling', 'horizontalpodautoscalers',
          'HorizontalPodAutoscaler')),
      ]
    : [group('', resource('', 'pods', 'Pod'))];
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', items };
}

/**
 * handle serves /version, discovery and GETs of what was created (a map from path to object),
 * and records and decodes every POST; anything else is a 404 Status.
 */
async function handle(req: IncomingMessage, res: ServerResponse, log: Capture[]): Promise<void> {
  const body = await readAll(req);
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (req.method === 'GET' && path === '/version') {
    reply(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.5', platform: 'linux/amd64' });
  } else if (req.method === 'GET' && (path === '/api' || path === '/apis')) {
    res.writeHead(200, { 'Content-Type': DISCOVERY_TYPE });
    res.end(JSON.stringify(discovery(path)));
  } else if (req.method === 'GET' && stored.has(path)) {
    reply(res, 200, stored.get(path));
  } else if (req.method === 'POST') {
    log.push({ method: req.method, path, contentType: req.headers['content-type'] ?? '', body });
    created(res, path, body);
  } else {
    reply(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
  }
}

/** stored holds created objects by their path, so commands that GET first find them. */
const stored = new Map<string, KubeObject>();

/** created answers a POST with the decoded object, filling in what a server would answer. */
function created(res: ServerResponse, path: string, body: Buffer): void {
  let obj: KubeObject;
  try {
    obj = decodeKubeProtobuf(body);
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    reply(res, err.code, err.status);
    return;
  }
  const answer = structuredClone(obj);
  if (answer.kind === 'SelfSubjectAccessReview') answer['status'] = { allowed: true };
  if (answer.kind === 'TokenRequest') {
    answer['status'] = { token: 'tok', expirationTimestamp: '2030-01-01T00:00:00Z' };
  }
  if (obj.metadata.name) stored.set(`${path}/${obj.metadata.name}`, answer);
  reply(res, 201, answer);
}

/**
 * COMMANDS are kubectl's typed-client commands that have a `--dry-run=client -o json` form, with
 * the collection each POSTs to. `dir` is the test's temp directory (for --from-file).
 */
function commands(dir: string): { args: string[]; resource: string }[] {
  return [
    { args: ['create', 'namespace', 'demo'], resource: '/api/v1/namespaces' },
    { args: ['create', 'configmap', 'c', '--from-literal=a=b'], resource: '/configmaps' },
    {
      args: ['create', 'configmap', 'bin', `--from-file=blob=${join(dir, 'blob')}`],
      resource: '/configmaps',
    },
    { args: ['create', 'secret', 'generic', 's', '--from-literal=k=v'], resource: '/secrets' },
    {
      args: ['create', 'secret', 'docker-registry', 'reg', '--docker-username=u',
        '--docker-password=p', '--docker-server=r.example'],
      resource: '/secrets',
    },
    {
      args: ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80'],
      resource: '/apis/apps/v1/namespaces/default/deployments',
    },
    {
      args: ['create', 'deployment', 'zero', '--image=busybox', '--replicas=0'],
      resource: '/deployments',
    },
    {
      args: ['create', 'deployment', 'two', '--image=nginx', '--image=busybox'],
      resource: '/deployments',
    },
    {
      args: ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'],
      resource: '/apis/batch/v1/namespaces/default/jobs',
    },
    { args: ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'], resource: '/services' },
    {
      args: ['create', 'service', 'clusterip', 'headless', '--clusterip=None'],
      resource: '/services',
    },
    {
      args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'],
      resource: '/services',
    },
    { args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'], resource: '/services' },
    {
      args: ['create', 'service', 'externalname', 'ext', '--external-name=example.com'],
      resource: '/services',
    },
    {
      args: ['create', 'serviceaccount', 'robot'],
      resource: '/api/v1/namespaces/default/serviceaccounts',
    },
    {
      args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=50'],
      resource: '/horizontalpodautoscalers',
    },
  ];
}

/** RESULTS are commands without a dry-run form: the JSON their body must decode to. */
const RESULTS: { args: string[]; path: string; printed: string; object: unknown }[] = [
  {
    args: ['create', 'token', 'robot'],
    path: '/api/v1/namespaces/default/serviceaccounts/robot/token',
    printed: 'tok',
    object: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { audiences: null },
      status: { token: '', expirationTimestamp: null },
    },
  },
  {
    args: ['create', 'token', 'robot', '--duration=10m', '--audience=a', '--audience=b'],
    path: '/api/v1/namespaces/default/serviceaccounts/robot/token',
    printed: 'tok',
    object: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { audiences: ['a', 'b'], expirationSeconds: 600 },
      status: { token: '', expirationTimestamp: null },
    },
  },
  {
    args: ['auth', 'can-i', 'create', 'pods'],
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    printed: 'yes\n',
    object: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
      status: { allowed: false },
    },
  },
];

for (const version of ['1.32', '1.33']) {
  describe(`protobuf bodies from the real kubectl ${version}`, function () {
    this.timeout(60_000);
    const binary = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
    const log: Capture[] = [];
    let server: Server | undefined;
    let dir = '';
    let kubeconfig = '';

    before(async function () {
      if (!existsSync(binary)) this.skip();
      server = createServer((req, res) => {
        handle(req, res, log).catch((err: unknown) => reply(res, 500, { message: String(err) }));
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      dir = await mkdtemp(join(tmpdir(), 'k8ts-pb-'));
      kubeconfig = join(dir, 'kubeconfig');
      await writeFile(kubeconfig, kubeconfigFor(`http://127.0.0.1:${address.port}`));
      await writeFile(join(dir, 'blob'), Buffer.from([0, 1, 2, 0xfe, 0xff]));
    });

    after(async () => {
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function kubectl(args: string[]): Promise<string> {
      const flags = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')];
      const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig };
      const { stdout } = await run(binary, [...flags, ...args], { env, timeout: 30_000 });
      return stdout;
    }

    /** onePost runs a command and returns the single protobuf POST it made. */
    async function onePost(args: string[]): Promise<{ printed: string; post: Capture }> {
      const before = log.length;
      const printed = await kubectl(args);
      const posts = log.slice(before);
      assert.equal(posts.length, 1, `one POST: ${posts.map((p) => p.path).join(', ')}`);
      const post = posts[0]!;
      assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
      return { printed, post };
    }

    for (const { args, resource } of commands('<dir>')) {
      it(args.join(' '), async () => {
        const real = args.map((a) => a.replace('<dir>', dir));
        const dryRun: unknown = JSON.parse(await kubectl(withDryRun(real)));
        const { printed, post } = await onePost(real);
        assert.match(printed, / (created|autoscaled)\n$/);
        assert.ok(post.path.endsWith(resource), post.path);
        assert.deepEqual(decodeKubeProtobuf(post.body), dryRun);
      });
    }

    for (const { args, path, printed, object } of RESULTS) {
      it(args.join(' '), async () => {
        const result = await onePost(args);
        assert.equal(result.printed, printed);
        assert.equal(result.post.path, path);
        assert.deepEqual(decodeKubeProtobuf(result.post.body), object);
      });
    }
  });
}

/** withDryRun adds `--dry-run=client -o json` before any `--` (after it they would be argv). */
function withDryRun(args: string[]): string[] {
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  return [...args.slice(0, end), '--dry-run=client', '-o', 'json', ...args.slice(end)];
}

function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "' + server + '"}}]',
    'users: [{name: u, user: {}}]',
    'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
    'current-context: x',
    '',
  ].join('\n');
}

/**
 * The decoder against the real producer: kubectl 1.32 sends protobuf bodies for its `create
 * <generator>` commands. A tiny HTTP server records each POST body, answers 201 with the decoded
 * JSON, and the test compares that JSON with what the same command prints under
 * `--dry-run=client -o json` — the object kubectl would have sent as JSON.
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
import { decodeKubeProtobuf } from '../../../src/api/protobuf/decode.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
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

/** handle serves /version and records POSTs; everything else is a 404 Status. */
async function handle(req: IncomingMessage, res: ServerResponse, log: Capture[]): Promise<void> {
  const body = await readAll(req);
  const path = req.url ?? '';
  if (req.method === 'GET' && path.startsWith('/version')) {
    reply(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.5', platform: 'linux/amd64' });
    return;
  }
  if (req.method !== 'POST') {
    reply(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
    return;
  }
  const contentType = req.headers['content-type'] ?? '';
  log.push({ method: req.method, path, contentType, body });
  try {
    reply(res, 201, decodeKubeProtobuf(body));
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    reply(res, err.code, err.status);
  }
}

/** COMMANDS are kubectl's typed-client create commands, each as its create arguments. */
const COMMANDS: { args: string[]; resource: string }[] = [
  { args: ['namespace', 'demo'], resource: '/api/v1/namespaces' },
  { args: ['configmap', 'c', '--from-literal=a=b'], resource: '/configmaps' },
  { args: ['secret', 'generic', 's', '--from-literal=k=v'], resource: '/secrets' },
  {
    args: ['deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80'],
    resource: '/apis/apps/v1/namespaces/default/deployments',
  },
  { args: ['job', 'j', '--image=busybox', '--', 'echo', 'hi'], resource: '/jobs' },
  { args: ['service', 'clusterip', 'svc', '--tcp=80:8080'], resource: '/services' },
  { args: ['serviceaccount', 'robot'], resource: '/serviceaccounts' },
  {
    args: ['deployment', 'zero', '--image=busybox', '--replicas=0'],
    resource: '/deployments',
  },
];

describe('protobuf bodies from the real kubectl 1.32', function () {
  this.timeout(60_000);
  const log: Capture[] = [];
  let server: Server;
  let dir: string;
  let kubeconfig: string;

  before(async function () {
    if (!existsSync(KUBECTL)) this.skip();
    server = createServer((req, res) => {
      handle(req, res, log).catch((err: unknown) => reply(res, 500, { message: String(err) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    dir = await mkdtemp(join(tmpdir(), 'k8ts-pb-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor(`http://127.0.0.1:${address.port}`));
  });

  after(async () => {
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kubectl(args: string[]): Promise<string> {
    const flags = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')];
    const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig };
    const { stdout } = await run(KUBECTL, [...flags, ...args], { env, timeout: 30_000 });
    return stdout;
  }

  for (const { args, resource } of COMMANDS) {
    it(`create ${args.join(' ')}`, async () => {
      const dryRun = JSON.parse(await kubectl(['create', ...withDryRun(args)]));
      const before = log.length;
      const printed = await kubectl(['create', ...args]);
      assert.match(printed, / created\n$/);
      const posts = log.slice(before);
      assert.equal(posts.length, 1, 'one POST');
      const post = posts[0]!;
      assert.ok(post.path.split('?')[0]!.endsWith(resource), post.path);
      assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
      assert.deepEqual(decodeKubeProtobuf(post.body), dryRun);
    });
  }
});

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

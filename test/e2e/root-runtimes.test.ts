/**
 * The seeds' nginx-pod.yaml on real containers (root only): `k8ts up` with one master and two
 * workers — w1 on the in-house runc runtime, w2 on Debian's containerd — and the REAL kubectl:
 * the pod (image nginx:1.25, port 80) runs on each, gets an address from its node's range in
 * 100.64.0.0/10, serves nginx's welcome page through `kubectl port-forward`, answers `kubectl
 * exec` from inside its own network namespace and hostname, and `k8ts down` removes the pods
 * and the nodes' bridges.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBECTL_DIR, runKubectl } from '../support/apiserver.js';
import { runK8ts, tempHome, untilValue, httpGet } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';

const B = 180 + Math.floor(Math.random() * 60);
const NODES = [
  { name: 'w1', runtime: 'runc', cidr: '100.64.210.0/24' },
  { name: 'w2', runtime: 'containerd', cidr: '100.64.211.0/24' },
];

function nginxPod(node: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: nginx-${node}
  labels:
    app: nginx
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  containers:
  - name: nginx
    image: nginx:1.25
    ports:
    - containerPort: 80
`;
}

describe('e2e: nginx-pod.yaml on runc and containerd nodes, with the real kubectl (root)', function () {
  this.timeout(400_000);
  const home = tempHome('k8ts-root-');
  const kubeconfig = join(home.dir, '.kube', 'config');
  const ok = async (args: string[]): Promise<string> => {
    const r = await runKubectl(home.dir, kubeconfig, args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  let started = false;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const [peer, client, api, grpc, kubelet] = await freePorts(5);
    const ip = `127.${B}.3.1`;
    const cfg = join(home.dir, 'rt.yaml');
    writeFileSync(cfg, ['name: rt', 'members:',
      `  - { id: 1, name: m1, address: ${ip}:${peer}, client: ${ip}:${client}, api: ${ip}:${api}, grpc: ${ip}:${grpc} }`,
      `kubelet: { port: ${kubelet}, runtime: process }`, 'workers:',
      ...NODES.map((n, i) => `  - { name: ${n.name}, address: 127.${B}.4.${i + 1}, runtime: ${n.runtime}, podCidr: ${n.cidr} }`),
      ''].join('\n'));
    started = true;
    const up = await runK8ts(home.dir, 'up', '-f', cfg);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
  });

  after(async () => {
    if (started) await runK8ts(home.dir, 'down', '--name', 'rt', '--purge');
    home.remove();
  });

  for (const n of NODES) {
    it(`nginx:1.25 on the ${n.runtime} node serves its welcome page through port-forward`, async () => {
      const file = join(home.dir, `nginx-${n.name}.yaml`);
      writeFileSync(file, nginxPod(n.name));
      await ok(['apply', '-f', file]);
      const row = await untilValue('the pod Running', 120_000, async () => {
        const c = (await ok(['get', 'pod', `nginx-${n.name}`, '-o', 'wide', '--no-headers'])).trim().split(/\s+/);
        return c[2] === 'Running' ? c : undefined;
      });
      assert.equal(row[6], n.name);
      assert.ok((row[5] ?? '').startsWith(n.cidr.slice(0, n.cidr.lastIndexOf('.'))), `${row[5]} in ${n.cidr}`);
      const [local] = await freePorts(1);
      const pf = spawn(join(KUBECTL_DIR, 'kubectl.1.32'), ['--kubeconfig', kubeconfig,
        '--cache-dir', join(home.dir, 'cache-1.32'), 'port-forward', `pod/nginx-${n.name}`, `${local}:80`],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.dir }, stdio: 'ignore' });
      try {
        const body = await untilValue('the welcome page', 30_000, () => httpGet(`http://127.0.0.1:${local}/`));
        assert.match(body, /Welcome to nginx!/);
      } finally {
        pf.kill();
      }
      const inside = await ok(['exec', `nginx-${n.name}`, '--', 'sh', '-c', 'hostname; cat /proc/net/route | wc -l']);
      assert.match(inside, new RegExp(`^nginx-${n.name}\\n`), 'the pod\'s own hostname (UTS namespace)');
    });
  }

  it('k8ts down removes the pods and the nodes\' bridges', async () => {
    const d = await runK8ts(home.dir, 'down', '--name', 'rt');
    assert.equal(d.code, 0, d.stderr);
    started = false;
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const n of NODES) assert.ok(!links.includes(`k8ts-rt-${n.name}:`), `bridge k8ts-rt-${n.name} left behind`);
    const routes = execFileSync('ip', ['route'], { encoding: 'utf8' });
    for (const n of NODES) assert.ok(!routes.includes(n.cidr), `route to ${n.cidr} left behind`);
  });
});

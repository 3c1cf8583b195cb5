/**
 * The whole cluster as a newcomer meets it (the seeds' own session), with the REAL kubectl:
 * `k8ts up` of 3 masters and 2 workers on the process runtime returns once every node is Ready;
 * `kubectl get nodes` shows the masters with role control-plane; `kubectl get pods -n
 * kube-system` shows each master's etcd, API server, controller manager and scheduler as static
 * pods with their true status; a pod applied from a file runs on a worker with its own loopback
 * address, and logs, exec (exit codes, stdin) and port-forward reach it; a killed API server is
 * restarted by its kubelet; `k8ts kill <worker>` takes its pods with it and `k8ts down` leaves no
 * process behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBECTL_DIR, runKubectl } from '../support/apiserver.js';
import { runK8ts, tempHome, untilValue, httpGet } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';

/** A loopback /16 of its own (127.<b>.x.y), so concurrent test files never share addresses. */
const B = 180 + Math.floor(Math.random() * 60);
const MASTERS = [1, 2, 3].map((i) => `127.${B}.1.${i}`);
const WORKERS = [1, 2].map((i) => `127.${B}.2.${i}`);

const until = untilValue;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
  - name: web
    image: busybox:1.36
    command: ["sh", "-c", "echo hello from $HOSTNAME; mkdir -p /tmp/www-$HOSTNAME; echo '<h1>k8ts</h1>' > /tmp/www-$HOSTNAME/index.html; exec httpd -f -p $POD_IP:8080 -h /tmp/www-$HOSTNAME"]
    env:
    - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
    ports:
    - containerPort: 8080
`;

describe('e2e: k8ts up with kubelets — the seeds\' session with the real kubectl', function () {
  this.timeout(300_000);
  const home = tempHome('k8ts-nodes-');
  const kubeconfig = join(home.dir, '.kube', 'config');
  const kubectl = (args: string[], timeoutMs = 60_000) => runKubectl(home.dir, kubeconfig, args, { timeoutMs });
  const ok = async (args: string[], timeoutMs?: number): Promise<string> => {
    const r = await kubectl(args, timeoutMs);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  let upOutput = '';

  before(async () => {
    const [peer, client, api, grpc, kubelet] = await freePorts(5);
    const members = MASTERS.map((ip, i) =>
      `  - { id: ${i + 1}, name: m${i + 1}, address: ${ip}:${peer}, client: ${ip}:${client}, api: ${ip}:${api}, grpc: ${ip}:${grpc} }`);
    const cfg = join(home.dir, 'nodes.yaml');
    writeFileSync(cfg, ['name: nodes', 'members:', ...members,
      'timing: { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 }',
      // Service addresses of its own too: kube-proxies of two clusters must never share one.
      `serviceCidr: 127.${B}.96.0/20`,
      `kubelet: { port: ${kubelet}, runtime: process }`, 'workers:',
      ...WORKERS.map((ip, i) => `  - { name: w${i + 1}, address: ${ip} }`), ''].join('\n'));
    const up = await runK8ts(home.dir, 'up', '-f', cfg);
    upOutput = up.stdout;
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    const logs = join(home.dir, 'k8ts', 'nodes', 'logs');
    for (const f of readdirSync(logs).filter((x) => /kubelet|runtime/.test(x))) {
      const lines = readFileSync(join(logs, f), 'utf8').split('\n').filter((l) => /error|fail|refus/i.test(l));
      console.log(`--- ${f}\n${lines.slice(-8).join('\n')}`);
    }
  });

  after(async () => {
    await runK8ts(home.dir, 'down', '--name', 'nodes', '--purge');
    home.remove();
  });

  it('up returns once every node is Ready, saying so node by node', () => {
    for (const n of ['m1', 'm2', 'm3', 'w1', 'w2']) assert.match(upOutput, new RegExp(`node ${n} Ready`));
  });

  it('kubectl get nodes: 3 control-plane masters and 2 workers, Ready, on their own addresses', async () => {
    const out = await ok(['get', 'nodes', '-o', 'wide', '--no-headers']);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]), ['m1', 'm2', 'm3', 'w1', 'w2']);
    for (const r of rows) assert.equal(r[1], 'Ready');
    assert.deepEqual(rows.map((r) => r[2]), ['control-plane', 'control-plane', 'control-plane', '<none>', '<none>']);
    assert.deepEqual(rows.map((r) => r[5]), [...MASTERS, ...WORKERS]);
    const taints = await ok(['get', 'node', 'm1', '-o', 'jsonpath={.spec.taints[*].key}']);
    assert.match(taints, /node-role.kubernetes.io\/control-plane/);
  });

  it('kubectl get pods -n kube-system lists the control plane and every node\'s kube-proxy as static pods, Running', async () => {
    const rows = await until('17 kube-system pods Running and ready', 90_000, async () => {
      const out = await ok(['get', 'pods', '-n', 'kube-system', '-o', 'wide', '--no-headers']);
      const r = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
      return r.length === 17 && r.every((c) => c[1] === '1/1' && c[2] === 'Running') ? r : undefined;
    });
    const names = rows.map((r) => r[0]).sort();
    for (const m of ['m1', 'm2', 'm3']) {
      for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
        assert.ok(names.includes(`${c}-${m}`), `${c}-${m} in ${names.join(' ')}`);
      }
    }
    for (const n of ['m1', 'm2', 'm3', 'w1', 'w2']) {
      assert.ok(names.includes(`kube-proxy-${n}`), `kube-proxy-${n} in ${names.join(' ')}`);
    }
    // Static pods run in the host's network: the pod IP is the node's address.
    const apiRow = rows.find((r) => r[0] === 'kube-apiserver-m2');
    assert.equal(apiRow?.[5], MASTERS[1]);
    assert.equal(apiRow?.[6], 'm2');
    const proxyRow = rows.find((r) => r[0] === 'kube-proxy-w2');
    assert.equal(proxyRow?.[5], WORKERS[1]);
    assert.equal(proxyRow?.[6], 'w2');
  });

  it('a pod applied from a file runs on a worker; logs, exec and port-forward reach it', async () => {
    const file = join(home.dir, 'web.yaml');
    writeFileSync(file, POD);
    assert.match(await ok(['apply', '-f', file]), /pod\/web created/);
    const row = await until('web Running', 60_000, async () => {
      const out = await ok(['get', 'pod', 'web', '-o', 'wide', '--no-headers']);
      const c = out.trim().split(/\s+/);
      return c[2] === 'Running' ? c : undefined;
    });
    assert.match(row[6] ?? '', /^w[12]$/, 'scheduled to a worker, not a tainted master');
    assert.match(row[5] ?? '', /^127\.64\.\d+\.\d+$/, 'its own loopback address');
    assert.match(await until('logs', 20_000, async () => {
      const l = await ok(['logs', 'web']);
      return l.includes('hello from web') ? l : undefined;
    }), /hello from web/);
    const exec = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo via-exec; exit 3']);
    assert.equal(exec.code, 3, exec.stderr);
    assert.match(exec.stdout, /via-exec/);
    const spdy = await runKubectl(home.dir, kubeconfig, ['exec', 'web', '--', 'echo', 'via-spdy'],
      { timeoutMs: 30_000, env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
    assert.equal(spdy.code, 0, spdy.stderr);
    assert.match(spdy.stdout, /via-spdy/);
    const [local] = await freePorts(1);
    const pf = spawn(join(KUBECTL_DIR, 'kubectl.1.32'), ['--kubeconfig', kubeconfig,
      '--cache-dir', join(home.dir, 'cache-1.32'), 'port-forward', 'pod/web', `${local}:8080`],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.dir }, stdio: 'ignore' });
    try {
      const body = await until('the page through port-forward', 30_000, () => httpGet(`http://127.0.0.1:${local}/`));
      assert.match(body, /<h1>k8ts<\/h1>/);
    } finally {
      pf.kill();
    }
  });

  it('a Service routes to the pod: its ClusterIP and every node\'s NodePort (kube-proxy)', async () => {
    await ok(['expose', 'pod', 'web', '--port', '18080', '--target-port', '8080']);
    await ok(['expose', 'pod', 'web', '--name', 'web-np', '--type', 'NodePort', '--port', '18081', '--target-port', '8080']);
    const ip = (await ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const octets = ip.split('.').map(Number);
    assert.ok(octets[0] === 127 && octets[1] === B && (octets[2] ?? 0) >= 96 && (octets[2] ?? 0) < 112,
      `${ip} from the cluster's serviceCidr 127.${B}.96.0/20`);
    const body = await until('the page through the ClusterIP', 30_000, () => httpGet(`http://${ip}:18080/`));
    assert.match(body, /<h1>k8ts<\/h1>/);
    const nodePort = (await ok(['get', 'service', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim();
    for (const node of [MASTERS[0], WORKERS[1]]) {
      const page = await until(`the page through ${node}:${nodePort}`, 30_000, () => httpGet(`http://${node}:${nodePort}/`));
      assert.match(page, /<h1>k8ts<\/h1>/);
    }
  });

  it('a killed API server is restarted by its kubelet (RESTARTS counts it)', async () => {
    const k = await runK8ts(home.dir, 'kill', 'm3/apiserver', '--name', 'nodes');
    assert.equal(k.code, 0, k.stderr);
    await until('kube-apiserver-m3 restarted and Running', 90_000, async () => {
      const out = await ok(['get', 'pod', '-n', 'kube-system', 'kube-apiserver-m3', '--no-headers']);
      const c = out.trim().split(/\s+/);
      return c[2] === 'Running' && c[1] === '1/1' && Number(c[3]) >= 1 ? c : undefined;
    });
  });

  it('k8ts status lists the nodes Ready with their pods', async () => {
    const r = await runK8ts(home.dir, 'status', '--name', 'nodes');
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^(m|w)\d\s+(control-plane|worker)/.test(l));
    assert.equal(rows.length, 5, r.stdout);
    for (const l of rows) assert.match(l, /Ready/);
    // KUBELET, RUNTIME-PID and PROXY: three live processes per node.
    for (const l of rows) assert.equal(l.match(/pid \d+/g)?.length, 3, l);
  });

  it('k8ts kill <node>/proxy on four nodes: the Service keeps routing, the kubelets restart them', async () => {
    const ip = (await ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    for (const n of ['m1', 'm2', 'm3', 'w1']) {
      const k = await runK8ts(home.dir, 'kill', `${n}/proxy`, '--name', 'nodes');
      assert.equal(k.code, 0, k.stderr);
    }
    const body = await until('the page through the ClusterIP after the kills', 30_000, () => httpGet(`http://${ip}:18080/`));
    assert.match(body, /<h1>k8ts<\/h1>/);
    await until('kube-proxy-w1 restarted and Running', 90_000, async () => {
      const out = await ok(['get', 'pod', '-n', 'kube-system', 'kube-proxy-w1', '--no-headers']);
      const c = out.trim().split(/\s+/);
      return c[2] === 'Running' && c[1] === '1/1' && Number(c[3]) >= 1 ? c : undefined;
    });
  });

  it('k8ts kill <worker> takes its pods with it; the pod comes back when the node does', async () => {
    const node = (await ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}'])).trim();
    const ip = (await ok(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).trim();
    const k = await runK8ts(home.dir, 'kill', node, '--name', 'nodes');
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /container process group/);
    await assert.rejects(httpGet(`http://${ip}:8080/`), 'nothing serves on the dead node');
    const r = await runK8ts(home.dir, 'restart', node, '--name', 'nodes');
    assert.equal(r.code, 0, r.stderr);
    await until('the pod serving again', 60_000, async () => {
      const newIp = (await ok(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).trim();
      const body = await httpGet(`http://${newIp}:8080/`);
      return body.includes('k8ts') ? body : undefined;
    });
  });

  it('k8ts down leaves no process of the cluster behind', async () => {
    const d = await runK8ts(home.dir, 'down', '--name', 'nodes');
    assert.equal(d.code, 0, d.stderr);
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(home.dir) ||
          readFileSync(`/proc/${p}/environ`, 'utf8').includes(home.dir);
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, []);
  });
});

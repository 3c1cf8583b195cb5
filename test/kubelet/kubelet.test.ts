/**
 * The whole kubelet against the REAL in-process API server and the REAL process runtime over
 * its CRI socket: the node registers and stays Ready with its Lease renewed; a pod bound to it
 * reaches Running with env from a ConfigMap and the ConfigMap's file readable through a volume;
 * a static pod runs and its mirror pod shows its status; deleting a pod stops it and removes
 * the object.
 */
import assert from 'node:assert/strict';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from '../../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import type { Lease } from '../../src/api/coordination/v1/lease.js';
import { isStatusError } from '../../src/api/errors.js';
import { systemClock } from '../../src/base/clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import { runKubelet, type RunningKubelet } from '../../src/kubelet/main.js';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { CONFIG_MAPS, LEASES, NODES, PODS } from '../../src/kubelet/resources.js';
import { startProcessRuntime, type ProcessRuntimeHandle } from
  '../../src/runtime/process/server.js';
import { startApiCluster, type ApiCluster } from '../support/apiserver.js';

const NODE = 'kw1';
const BUSYBOX = 'busybox:1.36';

/** eventually polls f until it returns a value (not undefined) or the deadline passes. */
async function eventually<T>(what: string, f: () => Promise<T | undefined>,
  timeoutMs = 20_000): Promise<T> {
  const deadline = systemClock.nowMs() + timeoutMs;
  let last: unknown;
  while (systemClock.nowMs() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
}

describe('kubelet (real API server, real process runtime)', function () {
  this.timeout(90_000);
  let cluster: ApiCluster;
  let api: ApiClient;
  let dir: string;
  let runtime: ProcessRuntimeHandle | undefined;
  let kubelet: RunningKubelet | undefined;

  /** startKubelet runs a kubelet of this test on the shared runtime and dirs. */
  const startKubelet = (apiEndpoints: string[]) => runKubelet({
    nodeName: NODE, address: '127.0.0.1', apiEndpoints,
    runtimeSocket: join(dir, 'cri.sock'), rootDir: join(dir, 'kubelet'),
    manifestDir: join(dir, 'manifests'), podCidr: '127.64.77.0/24', role: 'master',
    capacity: { cpu: '8', memory: '16Gi', pods: '110' }, kubeletPort: 0,
    config: { leaseRenewIntervalMs: 300, nodeStatusUpdateFrequencyMs: 300,
      fileCheckFrequencyMs: 200, volumeRefreshMs: 300, housekeepingIntervalMs: 300 },
    workerTuning: { runningPollMs: 100, resyncMs: 300, backoffBaseMs: 200 },
    log: process.env.KUBELET_TEST_LOG ? (l) => console.log(l) : () => {},
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-'));
    cluster = await startApiCluster();
    api = new ApiClient({ endpoints: cluster.grpcEndpoints });
    runtime = await startProcessRuntime({ stateDir: join(dir, 'runtime'),
      podCidr: '127.64.77.0/24', socketPath: join(dir, 'cri.sock'), clock: systemClock });
    mkdirSync(join(dir, 'manifests'));
    kubelet = await startKubelet(cluster.grpcEndpoints);
  });

  after(async () => {
    // Pods first (the kubelet leaves containers running on stop), then everything else.
    for (const p of (await api.list<Pod>(PODS, undefined).catch(() => ({ items: [] }))).items) {
      await api.delete(PODS, p.metadata.namespace, p.metadata.name ?? '').catch(() => {});
    }
    rmSync(join(dir, 'manifests'), { recursive: true, force: true });
    await eventually('every pod gone', async () =>
      ((await api.list<Pod>(PODS, undefined)).items.length === 0 ? true : undefined), 30_000)
      .catch(() => {});
    await kubelet?.stop();
    await runtime?.close();
    api.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers its Node, Ready, with a Lease it keeps renewing', async () => {
    const node = await eventually('node Ready', async () => {
      const n = await api.get<Node>(NODES, undefined, NODE);
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
        ? n : undefined;
    });
    assert.equal(node.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.32.0-k8ts');
    assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^.+:\/\/.+$/);
    assert.deepEqual(node.spec?.podCIDRs, ['127.64.77.0/24']);
    const first = await eventually('lease', () =>
      api.get<Lease>(LEASES, 'kube-node-lease', NODE));
    assert.equal(first.spec?.holderIdentity, NODE);
    assert.equal(first.metadata.ownerReferences?.[0]?.uid, node.metadata.uid);
    await eventually('lease renewed', async () => {
      const l = await api.get<Lease>(LEASES, 'kube-node-lease', NODE);
      return l.spec?.renewTime !== first.spec?.renewTime ? l : undefined;
    });
  });

  it('runs a bound pod with env and a volume from a ConfigMap, then deletes it', async () => {
    await api.create(CONFIG_MAPS, 'default', { metadata: { name: 'greet' },
      data: { greeting: 'hello-from-cm', file: 'file-content' } });
    const pod = await api.create<Pod>(PODS, 'default', { metadata: { name: 'web' }, spec: {
      nodeName: NODE, terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'cfg', configMap: { name: 'greet' } }, { name: 'out', emptyDir: {} }],
      containers: [{ name: 'app', image: BUSYBOX,
        command: ['sh', '-c', 'echo "$GREETING $(cat $K8TS_ROOT/etc/cfg/file)" > ' +
          '$K8TS_ROOT/out/result; echo logged-line; exec sleep 3600'],
        env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greet',
          key: 'greeting' } } }],
        volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'out',
          mountPath: '/out' }] }] } });
    const uid = pod.metadata.uid ?? '';
    const running = await eventually('pod Running', async () => {
      const p = await api.get<Pod>(PODS, 'default', 'web');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(running.status?.hostIP, '127.0.0.1');
    const result = join(dir, 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~empty-dir',
      'out', 'result');
    const text = await eventually('result file', async () =>
      (existsSync(result) ? readFileSync(result, 'utf8') : undefined));
    assert.equal(text.trim(), 'hello-from-cm file-content');
    // The kubelet server serves the container's log (the API server's pods/log reaches it).
    const port = kubelet?.kubelet.serverPort ?? 0;
    const node = await api.get<Node>(NODES, undefined, NODE);
    assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, port);
    const logs = await eventually('container log', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/containerLogs/default/web/app`);
      const body = await res.text();
      return res.status === 200 && body.includes('logged-line') ? body : undefined;
    });
    assert.equal(logs, 'logged-line\n');
    // A changed ConfigMap reaches the running pod's volume.
    await api.update(CONFIG_MAPS, 'default', { metadata: { name: 'greet' },
      data: { greeting: 'hello-from-cm', file: 'changed' } });
    const cmFile = join(dir, 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~configmap', 'cfg',
      'file');
    await eventually('configMap file refreshed', async () =>
      (readFileSync(cmFile, 'utf8') === 'changed' ? true : undefined));
    await api.delete(PODS, 'default', 'web');
    await eventually('pod object removed', async () => {
      try {
        await api.get<Pod>(PODS, 'default', 'web');
        return undefined;
      } catch (e) {
        return isStatusError(e) && e.code === 404 ? true : undefined;
      }
    });
    await eventually('pod dir torn down', async () =>
      (existsSync(join(dir, 'kubelet', 'pods', uid)) ? undefined : true));
  });

  it('runs a static pod and mirrors it into the API with its status', async () => {
    writeFileSync(join(dir, 'manifests', 'sleeper.yaml'), [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: sleeper, namespace: kube-system}',
      'spec:', '  containers:', `  - {name: s, image: "${BUSYBOX}", command: [sleep, "3600"]}`,
      ''].join('\n'));
    const mirror = await eventually('mirror pod Running', async () => {
      const p = await api.get<Pod>(PODS, 'kube-system', `sleeper-${NODE}`);
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(mirror.metadata.annotations?.['kubernetes.io/config.source'], 'file');
    assert.match(mirror.metadata.annotations?.['kubernetes.io/config.mirror'] ?? '',
      /^[0-9a-f]{32}$/);
    assert.equal(mirror.metadata.ownerReferences?.[0]?.kind, 'Node');
    rmSync(join(dir, 'manifests', 'sleeper.yaml'));
    await eventually('mirror pod removed', async () => {
      try {
        await api.get<Pod>(PODS, 'kube-system', `sleeper-${NODE}`);
        return undefined;
      } catch (e) {
        return isStatusError(e) && e.code === 404 ? true : undefined;
      }
    });
  });

  it('rejects a pod that does not fit with OutOfcpu', async () => {
    await api.create<Pod>(PODS, 'default', { metadata: { name: 'huge' }, spec: {
      nodeName: NODE, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '1'],
        resources: { requests: { cpu: '64' } } }] } });
    const p = await eventually('pod Failed', async () => {
      const x = await api.get<Pod>(PODS, 'default', 'huge');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    assert.equal(p.status?.reason, 'OutOfcpu');
    assert.match(p.status?.message ?? '', /^Pod was rejected: Node didn't have enough resource/);
  });
  it('restarted, adopts running containers and cleans up pods deleted meanwhile', async () => {
    const mk = (name: string) => api.create<Pod>(PODS, 'default', { metadata: { name }, spec: {
      nodeName: NODE, terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] } });
    await mk('keeper');
    const gone = await mk('gone');
    const runningBoth = async () => {
      const ps = await Promise.all(['keeper', 'gone'].map((n) =>
        api.get<Pod>(PODS, 'default', n)));
      return ps.every((p) => p.status?.phase === 'Running') ? ps : undefined;
    };
    const [before] = await eventually('both Running', runningBoth);
    await kubelet?.stop();
    kubelet = undefined;
    // Force-deleted while no kubelet watches: only housekeeping can find its containers.
    await api.delete(PODS, 'default', 'gone', { gracePeriodSeconds: 0 });
    kubelet = await startKubelet(cluster.grpcEndpoints);
    const cri = connectCri(join(dir, 'cri.sock'));
    try {
      await eventually('the vanished pod\'s sandbox removed', async () => {
        const { items } = await cri.listPodSandbox({});
        return items.some((x) => x.labels['io.kubernetes.pod.uid'] === gone.metadata.uid)
          ? undefined : true;
      });
    } finally {
      cri.close();
    }
    const after = await api.get<Pod>(PODS, 'default', 'keeper');
    assert.equal(after.status?.phase, 'Running');
    const id = (p: Pod | undefined) => p?.status?.containerStatuses?.[0]?.containerID;
    assert.equal(id(after), id(before), 'the same container, not a new one');
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
  });
});

describe('kubelet without an API server', function () {
  this.timeout(60_000);

  it('runs its static pods anyway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-noapi-'));
    let runtime: ProcessRuntimeHandle | undefined;
    let kubelet: RunningKubelet | undefined;
    try {
      runtime = await startProcessRuntime({ stateDir: join(dir, 'runtime'),
        podCidr: '127.64.78.0/24', socketPath: join(dir, 'cri.sock'), clock: systemClock });
      mkdirSync(join(dir, 'manifests'));
      writeFileSync(join(dir, 'manifests', 'early.yaml'), [
        'metadata: {name: early, namespace: kube-system}', 'spec:',
        '  volumes: [{name: out, emptyDir: {}}]', '  containers:',
        `  - {name: c, image: "${BUSYBOX}", volumeMounts: [{name: out, mountPath: /out}],`,
        '     command: [sh, -c, "echo up > $K8TS_ROOT/out/state; exec sleep 3600"]}', '',
      ].join('\n'));
      kubelet = await runKubelet({
        nodeName: 'lonely', address: '127.0.0.1', apiEndpoints: ['127.0.0.1:1'],
        runtimeSocket: join(dir, 'cri.sock'), rootDir: join(dir, 'kubelet'),
        manifestDir: join(dir, 'manifests'), capacity: { cpu: '1', memory: '1Gi', pods: '10' },
        serve: false, config: { fileCheckFrequencyMs: 200 },
        log: process.env.KUBELET_TEST_LOG ? (l) => console.log(Date.now() % 100000, l) : () => {},
        workerTuning: { runningPollMs: 100, resyncMs: 300 },
      });
      const root = join(dir, 'kubelet', 'pods');
      const state = await eventually('static pod running', async () => {
        for (const uid of existsSync(root) ? readdirSync(root) : []) {
          const f = join(root, uid, 'volumes', 'kubernetes.io~empty-dir', 'out', 'state');
          // The shell creates the file before it writes to it: empty is not yet.
          const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
          if (text !== '') return text;
        }
        return undefined;
      });
      assert.equal(state.trim(), 'up');
      assert.equal(kubelet.kubelet.registered, false, 'no API server: not registered');
    } finally {
      // Remove the manifest so the pod is stopped and removed before the runtime closes.
      rmSync(join(dir, 'manifests'), { recursive: true, force: true });
      const cri = connectCri(join(dir, 'cri.sock'));
      await eventually('static pod stopped', async () =>
        ((await cri.listPodSandbox({})).items.length === 0 ? true : undefined)).catch(() => {});
      cri.close();
      await kubelet?.stop();
      await runtime?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

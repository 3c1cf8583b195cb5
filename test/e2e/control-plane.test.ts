/**
 * The brains end to end, as a user meets them: `k8ts up` with 3 masters starts a controller
 * manager and a scheduler on each (one of each leads, fenced), fake kubelets stand in for nodes
 * (plain Node objects whose bound pods turn Running and Ready, until real kubelets exist), and the
 * REAL kubectl drives Deployments: spread over the nodes, scale, rolling update and rollback,
 * delete with its ReplicaSets and pods — and the master holding the controller-manager lease is
 * killed in the middle of a rollout: the rollout completes under the new leader and no pod is
 * created twice.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.js';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ApiWatch } from '../../src/client/types.js';
import { runKubectl } from '../support/apiserver.js';
import { runK8ts, tempHome, untilValue, type K8tsResult } from '../support/cluster.js';
import { startFakeKubelets } from '../support/fake-kubelet.js';
import { freePorts } from '../support/ports.js';

type Result = K8tsResult;

const PODS = { group: '', version: 'v1', resource: 'pods' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const NODES = ['w1', 'w2', 'w3', 'w4'];

const k8ts = runK8ts;

const until = untilValue;

describe('e2e: scheduler and controller manager on 3 masters, with the real kubectl', function () {
  this.timeout(240_000);
  const home = tempHome('k8ts-cp-');
  const kubeconfig = join(home.dir, '.kube', 'config');
  let api: ApiClient;
  let kubelets: { stop(): Promise<void> | void } | undefined;
  /** Every pod ever created, by uid → owning ReplicaSet uid (from a watch started first). */
  const created = new Map<string, string>();
  let podWatch: ApiWatch<Pod> | undefined;
  let stopped = false;

  /** followPods records every pod ever created, across API servers dying: whenever the watch
   *  ends it watches again from the last revision it saw, so no ADDED event is missed. */
  async function followPods(): Promise<void> {
    let rv = '0';
    while (!stopped) {
      podWatch = api.watch<Pod>(PODS, undefined, { resourceVersion: rv });
      try {
        for await (const e of podWatch) {
          rv = e.object.metadata.resourceVersion ?? rv;
          const uid = e.object.metadata.uid;
          const owner = e.object.metadata.ownerReferences?.find((r) => r.controller)?.uid;
          if (e.type === 'ADDED' && uid !== undefined && owner !== undefined) created.set(uid, owner);
        }
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** host:port of each master's API server; kubectl talks to the kubeconfig's (m1) unless
   *  `server` names another (while m1 is dead). */
  let apis: string[] = [];
  let server: string | undefined;
  const kubectl = (args: string[], timeoutMs = 90_000): Promise<Result> =>
    runKubectl(home.dir, kubeconfig, server ? [`--server=https://${server}`, ...args] : args, { timeoutMs });
  const ok = async (args: string[], timeoutMs?: number): Promise<string> => {
    const r = await kubectl(args, timeoutMs);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    const ports = await freePorts(12);
    const members = [0, 1, 2].map((i) =>
      `  - { id: ${i + 1}, name: m${i + 1}, address: 127.0.0.1:${ports[4 * i]}, client: 127.0.0.1:${ports[4 * i + 1]}, api: 127.0.0.1:${ports[4 * i + 2]}, grpc: 127.0.0.1:${ports[4 * i + 3]} }`);
    apis = [0, 1, 2].map((i) => `127.0.0.1:${ports[4 * i + 2]}`);
    const cfg = join(home.dir, 'cp.yaml');
    writeFileSync(cfg, ['name: cp', 'members:', ...members, 'timing: { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 }', ''].join('\n'));
    const up = await k8ts(home.dir, 'up', '-f', cfg);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const pki = join(home.dir, 'k8ts', 'cp', 'pki');
    api = new ApiClient({
      endpoints: [0, 1, 2].map((i) => `127.0.0.1:${ports[4 * i + 3]}`),
      tls: { caFile: join(pki, 'ca.crt'), certFile: join(pki, 'admin.crt'), keyFile: join(pki, 'admin.key') },
    });
    void followPods();
    kubelets = await startFakeKubelets(api, { nodes: NODES });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    // What the elected components said: leadership changes explain most surprises here.
    const logs = join(home.dir, 'k8ts', 'cp', 'logs');
    for (const f of readdirSync(logs).filter((x) => /controller-manager|scheduler/.test(x))) {
      const lines = readFileSync(join(logs, f), 'utf8').split('\n').filter((l) => /lead|fence|error/i.test(l));
      console.log(`--- ${f}\n${lines.slice(-12).join('\n')}`);
    }
  });

  after(async () => {
    stopped = true;
    podWatch?.stop();
    await kubelets?.stop();
    api?.close();
    await k8ts(home.dir, 'down', '--name', 'cp', '--purge');
    home.remove();
  });

  it('k8ts status shows one leading controller manager and one leading scheduler', async () => {
    const rows = await until('leaders in k8ts status', 30_000, async () => {
      const r = await k8ts(home.dir, 'status', '--name', 'cp');
      const cells = r.stdout.split('\n').filter((l) => /^m\d/.test(l)).map((l) => l.trim().split(/\s+/));
      const cm = cells.filter((c) => c[c.length - 2] === 'leader').length;
      const sched = cells.filter((c) => c[c.length - 1] === 'leader').length;
      return cells.length === 3 && cm === 1 && sched === 1 ? cells : undefined;
    });
    assert.ok(rows.every((c) => ['leader', 'standby'].includes(c[c.length - 1] ?? '')));
  });

  it('a Deployment of 10 replicas becomes ready, spread over the nodes', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=10']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s'], 100_000);
    const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: Pod[] };
    assert.equal(pods.items.length, 10);
    const perNode = new Map<string, number>();
    for (const p of pods.items) perNode.set(p.spec?.nodeName ?? '', (perNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
    assert.deepEqual([...perNode.keys()].sort(), NODES, JSON.stringify([...perNode]));
    const counts = [...perNode.values()];
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, JSON.stringify([...perNode]));
    const describe = await ok(['describe', 'deployment', 'web']);
    assert.match(describe, /ScalingReplicaSet\s+.*Scaled up replica set web-[a-z0-9]+ from 0 to 10/);
    // Events are written asynchronously (best effort, after the bind): poll for all ten.
    await until('10 Scheduled events', 30_000, async () => {
      const names = await ok(['get', 'events', '--field-selector', 'reason=Scheduled', '-o', 'name']);
      return names.trim().split('\n').length >= 10 ? true : undefined;
    });
  });

  it('scales up and down', async () => {
    await ok(['scale', 'deployment/web', '--replicas=14']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], 70_000);
    await until('14 pods', 30_000, async () => (await podCount('app=web')) === 14 ? true : undefined);
    await ok(['scale', 'deployment/web', '--replicas=6']);
    await until('6 pods', 30_000, async () => (await podCount('app=web')) === 6 ? true : undefined);
    await ok(['scale', 'deployment/web', '--replicas=10']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], 70_000);
  });

  it('rolling update and rollback: history lists the revisions, undo restores the template', async () => {
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s'], 100_000);
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    await ok(['rollout', 'undo', 'deployment/web']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s'], 100_000);
    const images = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    const distinct = new Set(images.trim().split(/\s+/));
    assert.deepEqual([...distinct], ['nginx:1.25'], images);
    const rs = await ok(['get', 'rs', '-l', 'app=web', '--no-headers']);
    assert.equal(rs.trim().split('\n').length, 2, rs);
  });

  it('killing the master that holds the controller-manager lease mid-rollout: the rollout completes, no pod is created twice', async () => {
    const before = await api.get<KubeObject & { spec?: { holderIdentity?: string } }>(LEASES, 'kube-system', 'kube-controller-manager');
    const holder = before.spec?.holderIdentity ?? '';
    const victim = holder.split('_')[0] ?? '';
    assert.match(victim, /^m[123]$/, holder);
    // Fake kubelets make pods ready at once: minReadySeconds keeps the rollout in flight for a
    // few seconds, long enough to kill a master in the middle of it.
    await ok(['patch', 'deployment/web', '-p', '{"spec":{"minReadySeconds":2}}']);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await until('the rollout under way', 30_000, async () => {
      const d = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json'])) as { status?: { updatedReplicas?: number } };
      const n = d.status?.updatedReplicas ?? 0;
      return n >= 1 && n < 10 ? true : undefined;
    });
    const kill = await k8ts(home.dir, 'kill', victim, '--name', 'cp');
    assert.equal(kill.code, 0, kill.stderr);
    try {
      server = apis[victim === 'm1' ? 1 : 0];
      await rolloutCompletesUnderNewLeader(victim);
    } finally {
      server = undefined;
      await k8ts(home.dir, 'restart', victim, '--name', 'cp');
    }
  });

  async function rolloutCompletesUnderNewLeader(victim: string): Promise<void> {
    const r = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s'], 130_000);
    assert.equal(r.code, 0, `${r.stderr}${r.stdout} (killed ${victim}, asking ${server ?? ''})`);
    await until('a controller manager on another master leading', 10_000, async () => {
      const l = await api.get<KubeObject & { spec?: { holderIdentity?: string } }>(LEASES, 'kube-system', 'kube-controller-manager');
      const master = l.spec?.holderIdentity?.split('_')[0];
      return master !== undefined && master !== '' && master !== victim ? true : undefined;
    });
    const images = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.deepEqual([...new Set(images.trim().split(/\s+/))], ['nginx:1.27'], images);
    // Every ReplicaSet created at most as many pods as it ever needed: none twice.
    const perRs = new Map<string, number>();
    for (const owner of created.values()) perRs.set(owner, (perRs.get(owner) ?? 0) + 1);
    const rsList = JSON.parse(await ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])) as { items: KubeObject[] };
    const newest = rsList.items.find((x) => (x as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } })
      .spec?.template?.spec?.containers?.[0]?.image === 'nginx:1.27');
    assert.ok(newest?.metadata.uid !== undefined);
    assert.equal(perRs.get(newest.metadata.uid ?? ''), 10, JSON.stringify([...perRs]));
  }

  it('deleting the Deployment removes its ReplicaSets and pods', async () => {
    await ok(['delete', 'deployment', 'web', '--wait=true'], 60_000);
    await until('no web pods or ReplicaSets', 60_000, async () => {
      const rs = await ok(['get', 'rs', '-l', 'app=web', '-o', 'name']);
      return rs.trim() === '' && (await podCount('app=web')) === 0 ? true : undefined;
    });
  });

  async function podCount(selector: string): Promise<number> {
    const list = await api.list<Pod>(PODS, 'default', { labelSelector: selector });
    return list.items.filter((p) => p.metadata.deletionTimestamp === undefined).length;
  }
});

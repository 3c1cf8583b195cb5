/**
 * Hollow nodes against the real in-process API server, with the real scheduler and the
 * Deployment, ReplicaSet and node lifecycle controllers: 50 hollow kubelets in this process
 * register (capacity, addresses, pod ranges, the hollow label), keep their Leases fresh so the
 * node lifecycle controller (a 4 s grace period here) never marks them NotReady, run a
 * Deployment's pods to Running with addresses from their own ranges, and terminate the pods a
 * scale-down deletes. Each hollow kubelet watches its own pods, as a real kubelet does.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../../../src/api/apps/v1/workloads.js';
import type { Node } from '../../../src/api/core/v1/cluster-kinds.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import { DEPLOYMENTS, LEASES, NODES } from '../../../src/controllers/base/resources.js';
import { deploymentController } from '../../../src/controllers/deployment/controller.js';
import { newNodeLifecycleController } from '../../../src/controllers/nodelifecycle/controller.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { runHollowNodes, type HollowNodes } from '../../../src/kubelet/hollow/hollow-nodes.js';
import {
  HOLLOW_LABEL, hollowAddress, hollowIndexOf, hollowPodCidr,
} from '../../../src/kubelet/hollow/options.js';
import { hollowShard } from '../../../src/cluster/node-config.js';
import { runScheduler } from '../../../src/scheduler/scheduler.js';
import {
  eventually, listPods, startControllerHarness, until, type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'hollow-test';
const NODES_N = 50;

function ready(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function inCidr(ip: string, cidr: string): boolean {
  return ip.startsWith(cidr.slice(0, cidr.lastIndexOf('.') + 1));
}

function deployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
    },
  };
}

describe('hollow nodes (real API server, scheduler and controllers)', function () {
  this.timeout(180_000);
  let h: ControllerHarness;
  let hollow: HollowNodes | undefined;
  const abort = new AbortController();
  let scheduler: Promise<void> | undefined;
  let schedInformers: SharedInformerFactory | undefined;
  const rootDir = mkdtempSync(join(tmpdir(), 'k8ts-hollow-'));
  const names = hollowShard({ nodes: NODES_N, processes: 1 }, 0);
  const logs: string[] = [];

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([deploymentController, replicaSetController,
      newNodeLifecycleController({ nodeMonitorGracePeriodMs: 4_000, nodeMonitorPeriodMs: 500 })],
    { namespaces: [NS] });
    schedInformers = new SharedInformerFactory(h.api, { clock: systemClock });
    scheduler = runScheduler({ api: h.api, informers: schedInformers, clock: systemClock,
      wallMs: systemWallMs, events: { event: () => {} }, signal: abort.signal, log: () => {} });
  });
  after(async () => {
    await hollow?.stop();
    abort.abort();
    await scheduler;
    await schedInformers?.stopAndWait();
    await h?.stop();
    rmSync(rootDir, { recursive: true, force: true });
    if (process.env.K8TS_TEST_LOG) console.error(logs.join('\n'));
  });

  it('registers every node with its address, pod range, capacity and label, all Ready',
    async () => {
      const addressOf = (n: string): string => hollowAddress(hollowIndexOf(n) ?? -1);
      const podCidrOf = (n: string): string => hollowPodCidr(hollowIndexOf(n) ?? -1);
      hollow = await runHollowNodes({
        names, addressOf, podCidrOf, apiEndpoints: h.cluster.grpcEndpoints, rootDir,
        clock: systemClock, wallMs: systemWallMs, log: (l) => logs.push(l),
        timing: { leaseRenewIntervalMs: 1_000, nodeStatusUpdateFrequencyMs: 2_000 },
        batch: { size: 20 },
      });
      assert.equal(hollow.registered(), NODES_N);
      const nodes = await eventually(async () => {
        const list = (await h.api.list<Node>(NODES, undefined,
          { labelSelector: `${HOLLOW_LABEL}=true` })).items;
        assert.equal(list.filter(ready).length, NODES_N);
        return list;
      });
      const n7 = nodes.find((n) => n.metadata.name === 'hollow-0007');
      assert.ok(n7);
      assert.deepEqual(n7.spec?.podCIDRs, ['127.128.6.0/24']);
      assert.deepEqual(n7.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
        '127.65.0.7');
      assert.equal(n7.status?.capacity?.pods, '110');
      assert.equal(n7.status?.nodeInfo?.containerRuntimeVersion, 'simulated://1.0.0');
      const lease = await h.api.get<Lease>(LEASES, 'kube-node-lease', 'hollow-0007');
      assert.equal(lease.spec?.holderIdentity, 'hollow-0007');
    });

  it('runs a Deployment of 100 to Running, each pod on an address of its node\'s range',
    async () => {
      await h.api.create(DEPLOYMENTS, NS, deployment(100));
      const pods = await eventually(async () => {
        const list = await listPods(h.api, NS, 'app=web');
        // Running comes first; Ready once the prober has seen the running container.
        assert.equal(list.filter((p) => p.status?.phase === 'Running' &&
          p.status.containerStatuses?.[0]?.ready === true).length, 100);
        return list;
      }, 90_000);
      const nodesUsed = new Set(pods.map((p) => p.spec?.nodeName));
      assert.ok(nodesUsed.size >= 25, `pods spread over ${nodesUsed.size} nodes`);
      for (const p of pods) {
        const i = hollowIndexOf(p.spec?.nodeName ?? '') ?? -1;
        assert.ok(inCidr(p.status?.podIP ?? '', hollowPodCidr(i)),
          `${p.metadata.name} ${p.status?.podIP} on ${p.spec?.nodeName}`);
        assert.equal(p.status?.hostIP, hollowAddress(i));
        assert.match(p.status?.containerStatuses?.[0]?.containerID ?? '', /^simulated:\/\//);
      }
    });

  it('keeps every node Ready past the node lifecycle grace period', async () => {
    const start = Date.now();
    await until(async () => {
      const list = (await h.api.list<Node>(NODES, undefined,
        { labelSelector: `${HOLLOW_LABEL}=true` })).items;
      assert.equal(list.filter(ready).length, NODES_N, 'a hollow node turned NotReady');
      return Date.now() - start > 6_000;
    }, 'two grace periods', 20_000);
  });

  it('terminates the pods a scale-down deletes', async () => {
    await h.api.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json',
      { spec: { replicas: 10 } });
    await eventually(async () => {
      assert.equal((await listPods(h.api, NS, 'app=web')).length, 10);
    }, 60_000);
  });

  it('stop() ends every kubelet and removes its state', async () => {
    await hollow?.stop();
    hollow = undefined;
    assert.equal(existsSync(rootDir), false);
  });
});

/**
 * The node lifecycle controller against a real in-process API server, with a short grace
 * period: the test plays the kubelet (Node status and the node Lease). Silence turns the node
 * Unknown and taints it unreachable; pods are marked not ready; a pod tolerating unreachable
 * for 1 s is deleted, one tolerating it for 300 s is not; the kubelet coming back removes the
 * taints and cancels the pending eviction.
 */
import assert from 'node:assert/strict';
import type { Condition } from '../../../src/api/core/v1/common-types.js';
import type { Node } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod, Toleration } from '../../../src/api/core/v1/pod-types.js';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import { LEASES, NODES, PODS } from '../../../src/controllers/base/resources.js';
import { newNodeLifecycleController } from '../../../src/controllers/nodelifecycle/controller.js';
import {
  startControllerHarness,
  until,
  type ControllerHarness,
} from '../../support/controllers.js';

const UNREACHABLE = 'node.kubernetes.io/unreachable';

const micro = (): string => new Date().toISOString().replace('Z', '000Z');
const seconds = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function readyCondition(): Condition {
  return { type: 'Ready', status: 'True', reason: 'KubeletReady',
    message: 'kubelet is posting ready status', lastHeartbeatTime: seconds(),
    lastTransitionTime: seconds() };
}

function pod(name: string, tolerations: Toleration[]): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName: 'n1', tolerations, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

const unreachableFor = (s: number): Toleration[] =>
  [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s }];

describe('nodelifecycle controller (real API server, 1.5 s grace period)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  let renewing = true;
  let renewals = 0;
  let renewer: NodeJS.Timeout | undefined;

  before(async function () {
    h = await startControllerHarness([newNodeLifecycleController({
      nodeMonitorGracePeriodMs: 1_500, nodeStartupGracePeriodMs: 1_500, nodeMonitorPeriodMs: 200,
      evictionLimitPerSecond: 10 })]);
  });
  after(async () => {
    clearInterval(renewer);
    await h?.stop();
  });

  const getNode = (): Promise<Node> => h.api.get<Node>(NODES, undefined, 'n1');
  const getPod = (n: string): Promise<Pod> => h.api.get<Pod>(PODS, 'default', n);
  const taints = async (): Promise<string[]> =>
    ((await getNode()).spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
  const renewIn = async (ns: string): Promise<void> => {
    const l = await h.api.get<Lease>(LEASES, ns, 'n1');
    await h.api.update(LEASES, ns, { ...l, spec: { ...l.spec, renewTime: micro() } });
  };
  const renew = async (): Promise<void> => {
    await renewIn('kube-node-lease');
    renewals++;
  };

  async function setPodReady(name: string): Promise<void> {
    const p = await getPod(name);
    p.status = { ...p.status, phase: 'Running', conditions: [
      { type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] };
    await h.api.update(PODS, 'default', p, { subresource: 'status' });
  }

  it('a silent node turns Unknown and unreachable; pods follow their tolerations', async () => {
    await h.api.create<Node>(NODES, undefined, { apiVersion: 'v1', kind: 'Node',
      metadata: { name: 'n1' }, status: { conditions: [readyCondition()] } });
    await h.api.create<Lease>(LEASES, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro() } });
    // A Lease of the same name elsewhere (the controller reads the cluster-wide lease cache)
    // is renewed all along: it must not count as the node's heartbeat.
    await h.api.create<Lease>(LEASES, 'default', { apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease', metadata: { name: 'n1', namespace: 'default' },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro() } });
    renewer = setInterval(() => {
      if (renewing) renew().catch(() => {});
      renewIn('default').catch(() => {});
    }, 250);
    await h.api.create(PODS, 'default', pod('short', unreachableFor(1)));
    await h.api.create(PODS, 'default', pod('long', unreachableFor(300)));
    for (const n of ['short', 'long']) await setPodReady(n);
    await until(() => h.events.some((e) => e.reason === 'RegisteredNode'), 'RegisteredNode');
    // Lease renewals alone (no status heartbeat) keep the node healthy for ten renewals
    // (2.5 s), well past the 1.5 s grace period.
    const from = renewals;
    await until(() => renewals >= from + 10, 'ten lease renewals');
    assert.equal((await getNode()).status?.conditions?.[0]?.status, 'True');
    assert.deepEqual(await taints(), []);

    renewing = false;
    await until(async () => (await taints()).length === 2, 'unreachable taints', 15_000);
    assert.deepEqual(await taints(), [`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    const ready = (await getNode()).status?.conditions?.find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'Unknown');
    assert.equal(ready?.reason, 'NodeStatusUnknown');
    assert.equal(ready?.message, 'Kubelet stopped posting node status.');
    await until(async () => (await getPod('short')).metadata.deletionTimestamp !== undefined,
      'short-tolerating pod deleted', 15_000);
    const long = await getPod('long');
    assert.equal(long.metadata.deletionTimestamp, undefined);
    assert.equal(long.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'False');
    const reasons = h.events.map((e) => `${e.kind}/${e.name} ${e.reason}: ${e.message}`);
    assert.ok(reasons.includes('Node/n1 NodeNotReady: Node n1 status is now: NodeNotReady'));
    assert.ok(reasons.includes('Pod/long NodeNotReady: Node is not ready'));
    assert.ok(reasons.includes(
      'Pod/short TaintManagerEviction: Marking for deletion Pod default/short'));
  });

  it('the kubelet back (lease and Ready) removes the taints and cancels the eviction',
    async () => {
      renewing = true;
      const n = await getNode();
      n.status = { ...n.status, conditions: [readyCondition()] };
      await h.api.update(NODES, undefined, n, { subresource: 'status' });
      await until(async () => (await taints()).length === 0, 'taints removed', 15_000);
      await until(() => h.events.some((e) => e.name === 'long' &&
        e.message === 'Cancelling deletion of Pod default/long'), 'eviction cancelled');
      assert.equal((await getPod('long')).metadata.deletionTimestamp, undefined);
    });
});

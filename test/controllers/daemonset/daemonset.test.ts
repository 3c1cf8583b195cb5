/**
 * The DaemonSet controller against a real API server: Node objects, a DaemonSet, and the test
 * playing scheduler and kubelet. One pod per eligible node, created unbound with the node
 * affinity the default scheduler binds by; a new node gets its pod; status follows the pods; a
 * template change rolls one node at a time.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { DaemonSet } from '../../../src/api/apps/v1/workloads.js';
import { DAEMONSETS, NODES, PODS } from '../../../src/controllers/base/resources.js';
import { daemonSetController } from '../../../src/controllers/daemonset/controller.js';
import { targetNodeName } from '../../../src/controllers/daemonset/daemon-pod.js';
import {
  eventually,
  listPods,
  node,
  runPod,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'ds-test';

function agent(image: string): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a',
        image }] } },
    },
  };
}

/** livePods: the DaemonSet's pods not being deleted, by target node. */
async function livePods(h: ControllerHarness): Promise<Map<string, Pod>> {
  const pods = (await listPods(h.api, NS, 'app=agent'))
    .filter((p) => p.metadata.deletionTimestamp === undefined);
  return new Map(pods.map((p) => [targetNodeName(p) ?? '?', p]));
}

describe('daemonset controller (real API server)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;

  before(async function () {
    this.timeout(60_000);
    const dedicated = { key: 'dedicated', value: 'db', effect: 'NoSchedule' as const };
    h = await startControllerHarness([daemonSetController], { namespaces: [NS],
      nodes: [node('n1'), node('n2'), node('n3', { taints: [dedicated] })] });
  });
  after(async () => {
    await h?.stop();
  });

  it('runs one unbound pod per untainted node, pinned by node affinity', async () => {
    await h.api.create(DAEMONSETS, NS, agent('agent:1'));
    const pods = await eventually(async () => {
      const m = await livePods(h);
      assert.deepEqual([...m.keys()].sort(), ['n1', 'n2']);
      return m;
    });
    const p1 = pods.get('n1')!;
    assert.equal(p1.spec?.nodeName, undefined);
    const required = p1.spec?.affinity?.nodeAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepEqual(required,
      { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In',
        values: ['n1'] }] }] });
    assert.ok(p1.metadata.labels?.['controller-revision-hash']);
    assert.equal(p1.metadata.labels?.['pod-template-generation'], '1');
    assert.ok(p1.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable'
      && t.effect === 'NoExecute' && t.tolerationSeconds === undefined));
    const created = h.events.filter((e) => e.reason === 'SuccessfulCreate' && e.name === 'agent');
    assert.equal(created.length, 2);
    assert.match(created[0]!.message, /^Created pod: agent-/);
  });

  it('status counts the pods the "kubelet" runs; kubectl get ds and rollout status', async () => {
    for (const [name, pod] of await livePods(h)) await runPod(h.api, pod, name);
    await eventually(async () => {
      const ds = await h.api.get<DaemonSet>(DAEMONSETS, NS, 'agent');
      assert.deepEqual({ ...ds.status, conditions: undefined }, { conditions: undefined,
        desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0,
        numberReady: 2, numberAvailable: 2, numberUnavailable: 0, updatedNumberScheduled: 2,
        observedGeneration: 1 });
    });
    const out = await h.cluster.kubectl(['get', 'ds', '-n', NS, '--no-headers']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^agent\s+2\s+2\s+2\s+2\s+2\s+<none>/);
    const rollout = await h.cluster.kubectl(['rollout', 'status', 'ds/agent', '-n', NS,
      '--timeout=10s']);
    assert.equal(rollout.code, 0, rollout.stderr);
    assert.match(rollout.stdout, /daemon set "agent" successfully rolled out/);
  });

  it('a new node gets its pod', async () => {
    await h.api.create(NODES, undefined, node('n4'));
    const pods = await eventually(async () => {
      const m = await livePods(h);
      assert.deepEqual([...m.keys()].sort(), ['n1', 'n2', 'n4']);
      return m;
    });
    await runPod(h.api, pods.get('n4')!, 'n4');
    await eventually(async () => {
      const ds = await h.api.get<DaemonSet>(DAEMONSETS, NS, 'agent');
      assert.equal(ds.status?.numberAvailable, 3);
    });
  });

  it('a template change deletes one old pod at a time (maxUnavailable 1)', async () => {
    const ds = await h.api.get<DaemonSet>(DAEMONSETS, NS, 'agent');
    const oldHash = (await livePods(h)).get('n1')?.metadata.labels?.['controller-revision-hash'];
    ds.spec!.template!.spec!.containers[0]!.image = 'agent:2';
    await h.api.update(DAEMONSETS, NS, ds);
    // Bound pods are deleted gracefully: with no kubelet to finish them they stay terminating,
    // so exactly one node is being replaced and the others must wait.
    await eventually(async () => {
      const all = await listPods(h.api, NS, 'app=agent');
      const terminating = all.filter((p) => p.metadata.deletionTimestamp !== undefined);
      assert.equal(terminating.length, 1);
      assert.equal(terminating[0]?.metadata.labels?.['controller-revision-hash'], oldHash);
    });
    await new Promise((r) => setTimeout(r, 500));
    const all = await listPods(h.api, NS, 'app=agent');
    const leaving = all.filter((p) => p.metadata.deletionTimestamp !== undefined);
    assert.equal(leaving.length, 1, 'a second old pod was deleted while one node was unavailable');
    // The "kubelet" finishes the old pod; its node gets a pod of the new template.
    const nodeName = targetNodeName(leaving[0]!) ?? '';
    await h.api.delete(PODS, NS, leaving[0]!.metadata.name ?? '', { gracePeriodSeconds: 0 });
    const fresh = await eventually(async () => {
      const p = (await livePods(h)).get(nodeName);
      assert.ok(p !== undefined && p.metadata.labels?.['controller-revision-hash'] !== oldHash);
      return p;
    });
    await runPod(h.api, fresh, nodeName);
    await eventually(async () => {
      const st = (await h.api.get<DaemonSet>(DAEMONSETS, NS, 'agent')).status;
      assert.equal(st?.updatedNumberScheduled, 1);
      const terminating = (await listPods(h.api, NS, 'app=agent'))
        .filter((p) => p.metadata.deletionTimestamp !== undefined);
      assert.equal(terminating.length, 1, 'the next old pod is replaced');
    });
  });
});

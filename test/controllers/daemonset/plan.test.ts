/**
 * The DaemonSet plan, pure: nodes, the DaemonSet and its pods filled by hand, the planned
 * actions compared (upstream's daemon_controller_test cases, in our words).
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { DaemonSetStatus } from '../../../src/api/apps/v1/workloads.js';
import {
  DAEMON_TOLERATIONS,
  targetNodeName,
} from '../../../src/controllers/daemonset/daemon-pod.js';
import { FAILED_POD_BACKOFF } from '../../../src/controllers/daemonset/manage.js';
import {
  type DaemonSetAction,
  type DaemonSetInput,
  planDaemonSet,
} from '../../../src/controllers/daemonset/plan.js';
import { daemonPod, daemonSet, hashOf, node, T0_MS } from './fixtures.js';

const NO_SCHEDULE = { key: 'dedicated', value: 'db', effect: 'NoSchedule' as const };
const NO_EXECUTE = { key: 'dedicated', value: 'db', effect: 'NoExecute' as const };

function input(o: Partial<DaemonSetInput>): DaemonSetInput {
  return { ds: daemonSet(), nodes: [], pods: [], nowMs: 1_000_000, nowWallMs: T0_MS,
    expectationsSatisfied: true, backoff: new Map(), ...o };
}

function creates(actions: DaemonSetAction[]): Pod[] {
  return actions.flatMap((a) => (a.verb === 'create' ? [a.pod] : []));
}
function createdOn(actions: DaemonSetAction[]): string[] {
  return actions.flatMap((a) => (a.verb === 'create' ? [a.node] : []));
}
function deleted(actions: DaemonSetAction[]): string[] {
  return actions.flatMap((a) => (a.verb === 'delete' ? [a.pod.metadata.name ?? ''] : []));
}
function statusOf(actions: DaemonSetAction[]): DaemonSetStatus {
  const a = actions.find((x) => x.verb === 'status');
  assert.ok(a !== undefined && a.verb === 'status', 'no status write');
  return a.status;
}

describe('daemonset plan', () => {
  it('creates one unbound pod per eligible node, pinned by node affinity', () => {
    const nodes = [node('n1'), node('n2'), node('n3', { taints: [NO_SCHEDULE] })];
    const plan = planDaemonSet(input({ nodes }));
    assert.deepEqual(createdOn(plan.actions), ['n1', 'n2']);
    const pod = creates(plan.actions)[0]!;
    assert.equal(pod.spec?.nodeName, undefined);
    assert.equal(pod.metadata.generateName, 'agent-');
    const required = pod.spec?.affinity?.nodeAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepEqual(required,
      { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In',
        values: ['n1'] }] }] });
    assert.deepEqual(pod.metadata.labels, { app: 'agent',
      'controller-revision-hash': hashOf(daemonSet()), 'pod-template-generation': '1' });
    assert.deepEqual(pod.spec?.tolerations, DAEMON_TOLERATIONS);
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet',
      name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(targetNodeName(pod), 'n1');
    const st = statusOf(plan.actions);
    assert.equal(st.desiredNumberScheduled, 2);
    assert.equal(st.currentNumberScheduled, 0);
    assert.equal(st.numberUnavailable, 2);
    assert.equal(st.observedGeneration, 1);
  });

  it('tolerated taints, nodeSelector and required affinity decide the nodes', () => {
    const ds = daemonSet({ spec: {
      nodeSelector: { disk: 'ssd' },
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn',
          values: ['z9'] }] }] } } },
    } });
    const nodes = [
      node('a', { labels: { disk: 'ssd' }, taints: [NO_SCHEDULE] }),
      node('b', { labels: { disk: 'hdd' } }),
      node('c', { labels: { disk: 'ssd', zone: 'z9' } }),
      node('d', { labels: { disk: 'ssd' }, taints: [NO_EXECUTE] }),
      node('e', { labels: { disk: 'ssd' }, taints: [{ key: 'node.kubernetes.io/unschedulable',
        effect: 'NoSchedule' }] }),
    ];
    assert.deepEqual(createdOn(planDaemonSet(input({ ds, nodes })).actions), ['a', 'e']);
  });

  it('waits for its expectations: only the status is written', () => {
    const plan = planDaemonSet(input({ nodes: [node('n1')], expectationsSatisfied: false }));
    assert.deepEqual(plan.actions.map((a) => a.verb), ['status']);
  });

  it('a new NoSchedule taint keeps the running pod, NoExecute evicts it', () => {
    const ds = daemonSet();
    const nodes = [node('n1', { taints: [NO_SCHEDULE] }), node('n2', { taints: [NO_EXECUTE] })];
    const pods = [daemonPod(ds, 'p1', 'n1', { readySinceMs: 0 }),
      daemonPod(ds, 'p2', 'n2', { readySinceMs: 0 })];
    const plan = planDaemonSet(input({ ds, nodes, pods }));
    assert.deepEqual(deleted(plan.actions), ['p2']);
    assert.deepEqual(createdOn(plan.actions), []);
    assert.equal(statusOf(plan.actions).numberMisscheduled, 2);
    assert.equal(statusOf(plan.actions).desiredNumberScheduled, 0);
  });

  it('keeps the oldest of several pods on a node, and deletes succeeded pods', () => {
    const ds = daemonSet();
    const pods = [
      daemonPod(ds, 'young', 'n1', { createdMs: T0_MS - 1_000 }),
      daemonPod(ds, 'old', 'n1', { createdMs: T0_MS - 9_000 }),
      daemonPod(ds, 'unbound', 'n1', { bound: false, createdMs: T0_MS - 99_000 }),
      daemonPod(ds, 'done', 'n2', { phase: 'Succeeded' }),
    ];
    const plan = planDaemonSet(input({ ds, nodes: [node('n1'), node('n2')], pods }));
    assert.deepEqual(deleted(plan.actions).sort(), ['done', 'unbound', 'young']);
  });

  it('deletes a failed pod with a FailedDaemonPod event, then backs off', () => {
    const ds = daemonSet();
    const pods = [daemonPod(ds, 'p1', 'n1', { phase: 'Failed' })];
    const first = planDaemonSet(input({ ds, nodes: [node('n1')], pods }));
    assert.deepEqual(deleted(first.actions), ['p1']);
    assert.deepEqual(first.actions.find((a) => a.verb === 'event'), { verb: 'event',
      type: 'Warning', reason: 'FailedDaemonPod',
      message: 'Found failed daemon pod default/p1 on node n1, will try to kill it' });
    assert.deepEqual(first.backoff.get('n1'), { delayMs: FAILED_POD_BACKOFF.initialMs,
      lastMs: 1_000_000 });
    // The replacement failed too, 300 ms later: it stays until the backoff has passed.
    const again = [daemonPod(ds, 'p2', 'n1', { phase: 'Failed' })];
    const second = planDaemonSet(input({ ds, nodes: [node('n1')], pods: again,
      nowMs: 1_000_300, backoff: first.backoff }));
    assert.deepEqual(deleted(second.actions), []);
    assert.equal(second.requeueAfterMs, 700);
    const third = planDaemonSet(input({ ds, nodes: [node('n1')], pods: again,
      nowMs: 1_001_000, backoff: second.backoff }));
    assert.deepEqual(deleted(third.actions), ['p2']);
    assert.equal(third.backoff.get('n1')?.delayMs, 2 * FAILED_POD_BACKOFF.initialMs);
  });

  it('deletes unbound pods meant for a node that is gone; a deleting pod blocks a new one', () => {
    const ds = daemonSet();
    const pods = [daemonPod(ds, 'ghost', 'gone', { bound: false }),
      daemonPod(ds, 'bound-ghost', 'gone2'),
      daemonPod(ds, 'leaving', 'n1', { deleting: true })];
    const plan = planDaemonSet(input({ ds, nodes: [node('n1')], pods }));
    assert.deepEqual(deleted(plan.actions), ['ghost']);
    assert.deepEqual(createdOn(plan.actions), []);
  });

  it('counts ready, available (minReadySeconds) and up-to-date pods, and rechecks', () => {
    const old = daemonSet({ image: 'agent:0', minReadySeconds: 30 });
    const ds = daemonSet({ minReadySeconds: 30 });
    const pods = [
      daemonPod(ds, 'a', 'n1', { readySinceMs: T0_MS - 60_000 }),
      daemonPod(ds, 'b', 'n2', { readySinceMs: T0_MS - 5_000 }),
      daemonPod(ds, 'c', 'n3', { from: old }),
    ];
    const plan = planDaemonSet(input({ ds, nodes: [node('n1'), node('n2'), node('n3')], pods,
      expectationsSatisfied: false }));
    assert.deepEqual(statusOf(plan.actions), { desiredNumberScheduled: 3,
      currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 2, numberAvailable: 1,
      numberUnavailable: 2, updatedNumberScheduled: 2, observedGeneration: 1 });
    assert.equal(plan.requeueAfterMs, 30_000);
  });

  it('writes no status when nothing changed', () => {
    const ds = daemonSet();
    ds.status = { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0,
      numberReady: 1, numberAvailable: 1, numberUnavailable: 0, updatedNumberScheduled: 1,
      observedGeneration: 1 };
    const pods = [daemonPod(ds, 'a', 'n1', { readySinceMs: 0 })];
    assert.deepEqual(planDaemonSet(input({ ds, nodes: [node('n1')], pods })).actions, []);
  });
});

describe('daemonset rolling update', () => {
  const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
  const old = daemonSet({ image: 'agent:0' });

  it('deletes maxUnavailable old available pods, in node order', () => {
    const ds = daemonSet({ maxUnavailable: 2 });
    const pods = nodes.map((n, i) => daemonPod(ds, `p${i + 1}`, n.metadata.name ?? '',
      { from: old, readySinceMs: 0 }));
    assert.deepEqual(deleted(planDaemonSet(input({ ds, nodes, pods })).actions), ['p1', 'p2']);
  });

  it('counts nodes being replaced; replaces unavailable old pods at once', () => {
    const ds = daemonSet({ maxUnavailable: '25%' });
    const pods = [
      daemonPod(ds, 'p1', 'n1', { readySinceMs: 0 }), // new, available
      daemonPod(ds, 'p2', 'n2'), // new, not ready yet: the one unavailable node allowed
      daemonPod(ds, 'p3', 'n3', { from: old }), // old and not ready: replaced anyway
      daemonPod(ds, 'p4', 'n4', { from: old, readySinceMs: 0 }), // must wait
    ];
    assert.deepEqual(deleted(planDaemonSet(input({ ds, nodes, pods })).actions), ['p3']);
  });

  it('does not roll while pods are being created, nor with OnDelete', () => {
    const ds = daemonSet();
    const pods = [daemonPod(ds, 'p1', 'n1', { from: old, readySinceMs: 0 })];
    const plan = planDaemonSet(input({ ds, nodes: [node('n1'), node('n2')], pods }));
    assert.deepEqual(createdOn(plan.actions), ['n2']);
    assert.deepEqual(deleted(plan.actions), []);
    const onDelete = daemonSet({ onDelete: true });
    const all = [daemonPod(onDelete, 'p1', 'n1', { from: old, readySinceMs: 0 })];
    assert.deepEqual(deleted(planDaemonSet(input({ ds: onDelete, nodes: [node('n1')],
      pods: all })).actions), []);
  });
});

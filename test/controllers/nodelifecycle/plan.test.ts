/**
 * planNode, pure: a node's health over controller time, the conditions it writes, the taints it
 * adds and removes, the pods it marks not ready, and the eviction rate limit.
 */
import assert from 'node:assert/strict';
import type { Condition } from '../../../src/api/core/v1/common-types.js';
import type { Node, Taint } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import type { NodeHealth } from '../../../src/controllers/nodelifecycle/health.js';
import {
  planNode,
  type NodeAction,
  type NodeInput,
  type NodePlan,
} from '../../../src/controllers/nodelifecycle/plan.js';

const GRACE = { monitorMs: 40_000, startupMs: 60_000 };
const WALL = '2026-01-01T00:00:00Z';
const NOW2 = '2026-01-01T00:01:00Z';

function cond(type: string, status: Condition['status'], heartbeat = 'hb-1'): Condition {
  return { type, status, reason: 'Kubelet', lastHeartbeatTime: heartbeat,
    lastTransitionTime: WALL };
}

function node(o: { ready?: Condition['status']; heartbeat?: string; taints?: Taint[];
  conditions?: Condition[] } = {}): Node {
  const conditions = o.conditions ?? (o.ready === undefined ? []
    : [cond('Ready', o.ready, o.heartbeat), cond('MemoryPressure', 'False', o.heartbeat)]);
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'n1', uid: 'u-n1', resourceVersion: '5', creationTimestamp: WALL },
    spec: o.taints ? { taints: o.taints } : {},
    status: { conditions },
  };
}

function lease(renew: string): Lease {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: renew } };
}

function pod(name: string, ready: Condition['status'], nodeName = 'n1'): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `u-${name}` },
    spec: { nodeName, containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running', conditions: [
      { type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: ready }] },
  };
}

function input(o: Partial<NodeInput>): NodeInput {
  return {
    node: node({ ready: 'True' }), lease: undefined, pods: [], health: undefined,
    nowMs: 0, nowWall: NOW2, grace: GRACE, monitorPeriodMs: 5_000,
    mayTaintNoExecute: true, noExecuteWaitMs: 0, ...o,
  };
}

function writes(p: NodePlan): NodeAction[] {
  return p.actions.filter((a) => a.type !== 'event');
}

function reasons(p: NodePlan): string[] {
  return p.actions.flatMap((a) => (a.type === 'event' ? [a.reason] : []));
}

const seen = (probeMs: number, heartbeat = 'hb-1', leaseRenew?: string): NodeHealth =>
  ({ uid: 'u-n1', probeMs, heartbeat, leaseRenew });

describe('node lifecycle plan (pure)', () => {
  it('first sight: registers the node, writes nothing, looks again within the monitor period',
    () => {
      const p = planNode(input({ nowMs: 1_000 }));
      assert.deepEqual(writes(p), []);
      assert.deepEqual(reasons(p), ['RegisteredNode']);
      const e = p.actions[0];
      assert.ok(e?.type === 'event');
      assert.equal(e.message, 'Node n1 event: Registered Node n1 in Controller');
      assert.deepEqual(p.health, seen(1_000));
      assert.equal(p.requeueAfterMs, 5_000);
    });

  it('healthy until the grace period has passed on the controller clock, then Unknown', () => {
    const atGrace = planNode(input({ health: seen(1_000), nowMs: 41_000 }));
    assert.deepEqual(atGrace.actions, []);
    const after = planNode(input({ health: seen(1_000), nowMs: 41_001 }));
    const status = after.actions[0];
    assert.ok(status?.type === 'updateNodeStatus');
    const ready = status.conditions.find((c) => c.type === 'Ready');
    assert.deepEqual(ready, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.', lastHeartbeatTime: 'hb-1',
      lastTransitionTime: NOW2 });
    assert.equal(status.conditions.find((c) => c.type === 'MemoryPressure')?.status, 'Unknown');
    const never = status.conditions.find((c) => c.type === 'DiskPressure');
    assert.equal(never?.reason, 'NodeStatusNeverUpdated');
    assert.equal(never?.message, 'Kubelet never posted node status.');
    assert.equal(never?.lastHeartbeatTime, WALL);
    assert.deepEqual(reasons(after), ['NodeNotReady']);
    const ev = after.actions.find((a) => a.type === 'event');
    assert.ok(ev?.type === 'event');
    assert.equal(ev.message, 'Node n1 status is now: NodeNotReady');
  });

  it('the requeue lands just after the grace deadline when that is sooner than the period',
    () => {
      const p = planNode(input({ health: seen(1_000), nowMs: 38_000 }));
      assert.equal(p.requeueAfterMs, 3_001);
    });

  it('a new heartbeat or lease renewal resets the probe time, whatever its wall time says', () => {
    const hb = planNode(input({ node: node({ ready: 'True', heartbeat: '1999-01-01T00:00:00Z' }),
      health: seen(1_000), nowMs: 90_000 }));
    assert.equal(hb.health.probeMs, 90_000);
    assert.deepEqual(hb.actions, []);
    const l = planNode(input({ lease: lease('r2'), health: seen(1_000, 'hb-1', 'r1'),
      nowMs: 90_000 }));
    assert.equal(l.health.probeMs, 90_000);
    assert.deepEqual(l.actions, []);
    const same = planNode(input({ lease: lease('r1'), health: seen(1_000, 'hb-1', 'r1'),
      nowMs: 90_000 }));
    assert.equal(same.health.probeMs, 1_000);
  });

  it('a node that never posted Ready gets the startup grace period', () => {
    const fresh = node({});
    const silent: NodeHealth = { uid: 'u-n1', probeMs: 0, heartbeat: undefined,
      leaseRenew: undefined };
    assert.deepEqual(planNode(input({ node: fresh, health: silent, nowMs: 50_000 })).actions, []);
    const p = planNode(input({ node: fresh, health: silent, nowMs: 60_001 }));
    const s = p.actions[0];
    assert.ok(s?.type === 'updateNodeStatus');
    assert.deepEqual(s.conditions.map((c) => [c.type, c.status, c.reason]), [
      ['Ready', 'Unknown', 'NodeStatusNeverUpdated'],
      ['MemoryPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated'],
    ]);
    assert.deepEqual(reasons(p), []);
  });

  it('Ready=Unknown: unreachable NoSchedule and NoExecute taints (NoExecute stamped)', () => {
    const n = node({ ready: 'Unknown' });
    const p = planNode(input({ node: n, health: seen(0), nowMs: 1_000 }));
    assert.deepEqual(writes(p), [{ type: 'changeTaints', change: { remove: [], add: [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: NOW2 },
    ] } }]);
    assert.equal(p.startsEviction, true);
  });

  it('Ready=False: not-ready taints; an unreachable NoExecute is swapped without a token', () => {
    const n = node({ ready: 'False', taints: [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: WALL },
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    ] });
    const p = planNode(input({ node: n, health: seen(0), nowMs: 1_000,
      mayTaintNoExecute: false }));
    assert.deepEqual(writes(p), [{ type: 'changeTaints', change: {
      add: [
        { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: NOW2 },
      ],
      remove: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: WALL },
      ],
    } }]);
    assert.equal(p.startsEviction, false);
  });

  it('Ready again: the controller removes its taints and leaves the user\'s alone', () => {
    const n = node({ ready: 'True', taints: [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: WALL },
      { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
    ] });
    const p = planNode(input({ node: n, health: seen(0), nowMs: 1_000 }));
    assert.deepEqual(writes(p), [{ type: 'changeTaints', change: { add: [], remove: [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: WALL },
    ] } }]);
  });

  it('pressure conditions and cordoning map to their NoSchedule taints', () => {
    const n = node({ conditions: [cond('Ready', 'True'), cond('DiskPressure', 'True'),
      cond('PIDPressure', 'True')] });
    n.spec = { unschedulable: true };
    const p = planNode(input({ node: n, health: seen(0), nowMs: 1_000 }));
    const w = writes(p)[0];
    assert.ok(w?.type === 'changeTaints');
    assert.deepEqual(w.change.add.map((t) => `${t.key}:${t.effect}`), [
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
  });

  it('without an eviction token the NoExecute taint waits; NoSchedule does not', () => {
    const n = node({ ready: 'Unknown' });
    const p = planNode(input({ node: n, health: seen(0), nowMs: 1_000,
      mayTaintNoExecute: false, noExecuteWaitMs: 700 }));
    assert.deepEqual(writes(p), [{ type: 'changeTaints', change: { remove: [], add: [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] } }]);
    assert.equal(p.startsEviction, false);
    assert.equal(p.requeueAfterMs, 700);
  });

  it('a silent node\'s Ready pods are patched Ready=False, tested first, with an event', () => {
    const pods = [pod('a', 'True'), pod('b', 'False'), pod('c', 'True', 'n2')];
    const p = planNode(input({ pods, health: seen(0), nowMs: 40_001 }));
    const marks = p.actions.filter((a) => a.type === 'markPodNotReady');
    assert.deepEqual(marks, [{ type: 'markPodNotReady', namespace: 'default', name: 'a', patch: [
      { op: 'test', path: '/status/conditions/1/type', value: 'Ready' },
      { op: 'test', path: '/status/conditions/1/status', value: 'True' },
      { op: 'replace', path: '/status/conditions/1/status', value: 'False' },
      { op: 'add', path: '/status/conditions/1/lastTransitionTime', value: NOW2 },
    ] }]);
    const podEvents = p.actions.filter((a) => a.type === 'event' && a.regarding.kind === 'Pod');
    assert.deepEqual(podEvents.map((a) => a.type === 'event' && [a.eventType, a.reason,
      a.message]), [['Warning', 'NodeNotReady', 'Node is not ready']]);
    assert.deepEqual(p.actions.map((a) => a.type), ['updateNodeStatus', 'changeTaints',
      'markPodNotReady', 'event', 'event']);
  });

  it('a node re-created under the same name starts a fresh record', () => {
    const p = planNode(input({ health: { ...seen(0), uid: 'old' }, nowMs: 99_000 }));
    assert.deepEqual(writes(p), []);
    assert.deepEqual(reasons(p), ['RegisteredNode']);
    assert.equal(p.health.probeMs, 99_000);
  });

  it('marking Unknown twice writes nothing the second time', () => {
    const first = planNode(input({ health: seen(0), nowMs: 50_000 }));
    const s = first.actions[0];
    assert.ok(s?.type === 'updateNodeStatus');
    const n = node({ conditions: s.conditions });
    const again = planNode(input({ node: n, health: first.health, nowMs: 60_000 }));
    assert.deepEqual(again.actions.filter((a) => a.type === 'updateNodeStatus'), []);
    assert.equal(again.requeueAfterMs, 5_000);
  });
});

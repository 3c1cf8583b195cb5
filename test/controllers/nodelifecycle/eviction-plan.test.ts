/**
 * planPodEviction, pure: the NoExecute taint manager's timing — untolerated taints evict at
 * once, tolerationSeconds counts from when the controller first saw the pod exposed, forever
 * tolerations never evict, and a removed taint cancels a pending eviction.
 */
import assert from 'node:assert/strict';
import type { Node, Taint } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod, Toleration } from '../../../src/api/core/v1/pod-types.js';
import {
  evictionInputsDiffer,
  minTolerationSeconds,
  planPodEviction,
  type EvictionInput,
} from '../../../src/controllers/nodelifecycle/eviction-plan.js';
import { EvictionBucket } from '../../../src/controllers/nodelifecycle/eviction-bucket.js';

const WALL = '2026-01-01T00:00:00Z';
const UNREACHABLE: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute',
  timeAdded: '1990-01-01T00:00:00Z' };

function node(taints: Taint[]): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints } };
}

function pod(tolerations: Toleration[], deleting = false): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u-p',
      ...(deleting ? { deletionTimestamp: WALL } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], tolerations },
  };
}

const defaultTolerations = (seconds: number): Toleration[] => [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute',
    tolerationSeconds: seconds },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute',
    tolerationSeconds: seconds },
];

function input(o: Partial<EvictionInput>): EvictionInput {
  return { pod: pod([]), node: node([UNREACHABLE]), sinceMs: undefined, nowMs: 10_000,
    nowWall: WALL, ...o };
}

describe('taint eviction plan (pure)', () => {
  it('a pod that does not tolerate a NoExecute taint is deleted at once, with the event', () => {
    const p = planPodEviction(input({}));
    assert.deepEqual(p, { sinceMs: undefined, actions: [
      { type: 'addDisruptionCondition', namespace: 'ns', name: 'p', condition: {
        type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: WALL } },
      { type: 'deletePod', namespace: 'ns', name: 'p', uid: 'u-p' },
      { type: 'event', reason: 'TaintManagerEviction',
        message: 'Marking for deletion Pod ns/p',
        regarding: { apiVersion: 'v1', kind: 'Pod',
          metadata: { namespace: 'ns', name: 'p', uid: 'u-p' } } },
    ] });
  });

  it('tolerationSeconds counts from first exposure on the controller clock', () => {
    const tol = defaultTolerations(300);
    const first = planPodEviction(input({ pod: pod(tol), nowMs: 10_000 }));
    assert.deepEqual(first, { actions: [], sinceMs: 10_000, requeueAfterMs: 300_000 });
    const later = planPodEviction(input({ pod: pod(tol), sinceMs: 10_000, nowMs: 309_999 }));
    assert.deepEqual(later, { actions: [], sinceMs: 10_000, requeueAfterMs: 1 });
    const due = planPodEviction(input({ pod: pod(tol), sinceMs: 10_000, nowMs: 310_000 }));
    assert.deepEqual(due.actions.map((a) => a.type), ['addDisruptionCondition', 'deletePod',
      'event']);
    assert.equal(due.sinceMs, undefined);
  });

  it('tolerating forever never evicts, however long the taint stays', () => {
    const tol: Toleration[] = [{ operator: 'Exists' }];
    for (const nowMs of [0, 1e6, 1e9]) {
      assert.deepEqual(planPodEviction(input({ pod: pod(tol), nowMs })),
        { actions: [], sinceMs: undefined });
    }
  });

  it('the shortest matching toleration wins; one untolerated taint means now', () => {
    const tol: Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 30 },
      { key: 'other', operator: 'Equal', value: 'x', tolerationSeconds: 5 },
    ];
    assert.equal(minTolerationSeconds(tol, [UNREACHABLE]), 30);
    assert.equal(minTolerationSeconds(tol, [UNREACHABLE,
      { key: 'other', value: 'x', effect: 'NoExecute' }]), 5);
    assert.equal(minTolerationSeconds(tol, [UNREACHABLE,
      { key: 'other', value: 'y', effect: 'NoExecute' }]), 0);
    assert.equal(minTolerationSeconds([{ key: 'node.kubernetes.io/unreachable',
      operator: 'Exists', tolerationSeconds: -5 }], [UNREACHABLE]), 0);
  });

  it('the taint going away cancels a pending eviction, with the cancelling event', () => {
    const p = planPodEviction(input({ pod: pod(defaultTolerations(300)), node: node([]),
      sinceMs: 10_000, nowMs: 20_000 }));
    assert.equal(p.sinceMs, undefined);
    assert.deepEqual(p.actions.map((a) => a.type === 'event' && a.message),
      ['Cancelling deletion of Pod ns/p']);
    const none = planPodEviction(input({ pod: pod([]), node: node([
      { key: 'dedicated', effect: 'NoSchedule' }]) }));
    assert.deepEqual(none, { actions: [], sinceMs: undefined });
  });

  it('pods already being deleted and pods on unknown nodes are left alone', () => {
    assert.deepEqual(planPodEviction(input({ pod: pod([], true) })),
      { actions: [], sinceMs: undefined });
    assert.deepEqual(planPodEviction(input({ node: undefined })),
      { actions: [], sinceMs: undefined });
  });
});

describe('evictionInputsDiffer', () => {
  it('a status write is no news; node, tolerations and deletion are', () => {
    const base = pod(defaultTolerations(300));
    const running = { ...base, status: { phase: 'Running' } } as Pod;
    assert.equal(evictionInputsDiffer(base, running), false);
    // The same tolerations decoded again (another object) are still the same.
    assert.equal(evictionInputsDiffer(base, pod(defaultTolerations(300))), false);
    assert.equal(evictionInputsDiffer(base, pod(defaultTolerations(60))), true);
    assert.equal(evictionInputsDiffer(base, pod(defaultTolerations(300).slice(1))), true);
    assert.equal(evictionInputsDiffer(base, pod([...defaultTolerations(300)].reverse())), true);
    assert.equal(evictionInputsDiffer(base, pod(defaultTolerations(300), true)), true);
    const unbound = { ...base, spec: { ...base.spec!, nodeName: undefined } } as Pod;
    assert.equal(evictionInputsDiffer(unbound, base), true);
    const moved = { ...base, spec: { ...base.spec!, nodeName: 'n2' } } as Pod;
    assert.equal(evictionInputsDiffer(base, moved), true);
  });
});

describe('eviction rate limiter', () => {
  it('one node at once, the next after 1/rate seconds', () => {
    const b = new EvictionBucket(0.5);
    assert.equal(b.waitMs(0), 0);
    assert.equal(b.tryTake(0), true);
    assert.equal(b.tryTake(100), false);
    assert.equal(b.waitMs(1_000), 1_000);
    assert.equal(b.tryTake(2_000), true);
    assert.equal(b.waitMs(2_000), 2_000);
  });
});

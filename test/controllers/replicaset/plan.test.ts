/**
 * The ReplicaSet plan, pure: claims, the replica diff with its burst bound and expectations,
 * the deletion ranking, and the status with ReplicaFailure (slow-start batches:
 * test/controllers/base/helpers.test.ts).
 */
import assert from 'node:assert/strict';
import type { ReplicaSet } from '../../../src/api/apps/v1/workloads.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { planManage, planStatus } from '../../../src/controllers/replicaset/plan.js';
import { podsToDelete } from '../../../src/controllers/replicaset/ranking.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const RS_UID = 'rs-uid';

function rs(replicas: number, extra: Partial<ReplicaSet['metadata']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'ns', uid: RS_UID, generation: 3, ...extra },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'fe' } },
        spec: { containers: [{ name: 'c' }] },
      },
    },
  };
}

interface PodOpts {
  owner?: string;
  labels?: Record<string, string>;
  node?: string;
  phase?: string;
  readySince?: string;
  created?: string;
  restarts?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const p: Pod = {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: o.created ?? '2025-01-01T10:00:00Z',
    },
    spec: { containers: [{ name: 'c' }], ...(o.node !== undefined ? { nodeName: o.node } : {}) },
    status: {
      phase: (o.phase ?? 'Running') as 'Running',
      conditions: o.readySince !== undefined
        ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince }] : [],
      containerStatuses: [
        { name: 'c', ready: true, restartCount: o.restarts ?? 0, image: '', imageID: '' },
      ],
    },
  };
  if (o.owner !== '') {
    p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x',
      uid: o.owner ?? RS_UID, controller: true }];
  }
  if (o.deleting) p.metadata.deletionTimestamp = '2025-01-01T11:59:00Z';
  return p;
}

const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata.name ?? '');

describe('ReplicaSet plan', () => {
  it('creates the missing pods from the template with generateName and the controller ref', () => {
    const plan = planManage({ rs: rs(3), pods: [pod('a')], expectationsSatisfied: true,
      nowWallMs: NOW });
    assert.equal(plan.create, 2);
    assert.equal(plan.template.metadata.generateName, 'web-');
    assert.deepEqual(plan.template.metadata.labels, { app: 'web', tier: 'fe' });
    assert.deepEqual(plan.template.metadata.ownerReferences, [{ apiVersion: 'apps/v1',
      kind: 'ReplicaSet', name: 'web', uid: RS_UID, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(plan.delete, []);
  });

  it('does nothing while expectations are unmet (stale cache)', () => {
    const plan = planManage({ rs: rs(3), pods: [], expectationsSatisfied: false, nowWallMs: NOW });
    assert.equal(plan.create, 0);
  });

  it('bounds creates and deletes by the burst', () => {
    const up = planManage({ rs: rs(900), pods: [], expectationsSatisfied: true, nowWallMs: NOW });
    assert.equal(up.create, 500);
    const many = Array.from({ length: 8 }, (_, i) => pod(`p${i}`, { node: 'n' }));
    const down = planManage({ rs: rs(1), pods: many, expectationsSatisfied: true, nowWallMs: NOW,
      burstReplicas: 4 });
    assert.equal(down.delete.length, 4);
  });

  it('does not count finished or terminating pods, and never manages while being deleted', () => {
    const pods = [pod('a'), pod('b', { phase: 'Succeeded' }), pod('c', { deleting: true })];
    const plan = planManage({ rs: rs(2), pods, expectationsSatisfied: true, nowWallMs: NOW });
    assert.deepEqual(names(plan.owned), ['a']);
    assert.equal(plan.create, 1);
    const dying = planManage({ rs: rs(2, { deletionTimestamp: '2025-01-01T11:00:00Z' }), pods,
      expectationsSatisfied: true, nowWallMs: NOW });
    assert.equal(dying.create, 0);
  });

  it('adopts matching orphans, releases non-matching owned pods, ignores others\' pods', () => {
    const pods = [
      pod('orphan', { owner: '' }),
      pod('orphan-other-labels', { owner: '', labels: { app: 'db' } }),
      pod('mine-relabelled', { labels: { app: 'db' } }),
      pod('theirs', { owner: 'someone-else' }),
      pod('orphan-deleting', { owner: '', deleting: true }),
    ];
    const plan = planManage({ rs: rs(1), pods, expectationsSatisfied: true, nowWallMs: NOW });
    assert.deepEqual(names(plan.adopt), ['orphan']);
    assert.equal(plan.adopt[0]?.metadata.ownerReferences?.[0]?.uid, RS_UID);
    assert.deepEqual(names(plan.release), ['mine-relabelled']);
    assert.equal(plan.release[0]?.metadata.ownerReferences, undefined);
    assert.deepEqual(names(plan.owned), ['orphan']);
    assert.equal(pods[0]?.metadata.ownerReferences, undefined, 'the cached pod is not mutated');
  });
});

describe('ReplicaSet deletion ranking', () => {
  const ready = '2025-01-01T10:00:00Z';

  it('unassigned < pending < unknown < running; not ready < ready', () => {
    const pods = [
      pod('running-ready', { node: 'n1', readySince: ready }),
      pod('running', { node: 'n1' }),
      pod('unknown', { node: 'n1', phase: 'Unknown' }),
      pod('pending', { node: 'n1', phase: 'Pending' }),
      pod('unassigned', { phase: 'Pending' }),
    ];
    assert.deepEqual(names(podsToDelete(pods, pods, 4, NOW)),
      ['unassigned', 'pending', 'unknown', 'running']);
  });

  it('doubled-up pods go first, then more restarts, then the newer', () => {
    const pods = [
      pod('alone', { node: 'n2', readySince: ready }),
      pod('crowded-1', { node: 'n1', readySince: ready }),
      pod('crowded-2', { node: 'n1', readySince: ready }),
    ];
    assert.deepEqual(names(podsToDelete(pods, pods, 2, NOW)), ['crowded-1', 'crowded-2']);
    const same = [
      pod('old', { node: 'n1', readySince: ready, created: '2024-01-01T00:00:00Z' }),
      pod('young', { node: 'n2', readySince: ready, created: '2025-01-01T11:59:00Z' }),
      pod('flaky', { node: 'n3', readySince: ready, restarts: 4 }),
    ];
    assert.deepEqual(names(podsToDelete(same, same, 2, NOW)), ['flaky', 'young']);
  });

  it('the pod ready for less time goes first', () => {
    const pods = [
      pod('long', { node: 'n1', readySince: '2024-06-01T00:00:00Z' }),
      pod('short', { node: 'n2', readySince: '2025-01-01T11:59:50Z' }),
    ];
    assert.deepEqual(names(podsToDelete(pods, pods, 1, NOW)), ['short']);
  });
});

describe('ReplicaSet status', () => {
  it('counts replicas, fully labeled, ready and available pods and sets observedGeneration', () => {
    const owned = [
      pod('a', { readySince: '2025-01-01T11:00:00Z' }),
      pod('b', { readySince: '2025-01-01T11:59:55Z' }),
      pod('c', { labels: { app: 'web' } }),
    ];
    const r = rs(3);
    r.spec = { ...r.spec, minReadySeconds: 10 };
    const sp = planStatus(r, owned, undefined, NOW);
    assert.deepEqual(sp.status, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2,
      availableReplicas: 1, observedGeneration: 3 });
    assert.equal(sp.requeueAfterMs, 5000, 'b becomes available in 5 s');
  });

  it('adds ReplicaFailure on a create error and removes it once creates succeed', () => {
    const failed = planStatus(rs(2), [], 'pods "x" is forbidden: exceeded quota', NOW);
    const cond = failed.status?.conditions?.[0];
    assert.equal(cond?.type, 'ReplicaFailure');
    assert.equal(cond?.reason, 'FailedCreate');
    assert.equal(cond?.message, 'pods "x" is forbidden: exceeded quota');
    const r = rs(2);
    r.status = failed.status ?? {};
    assert.equal(planStatus(r, [pod('a'), pod('b')], undefined, NOW).status?.conditions, undefined);
  });

  it('writes nothing when the status is current', () => {
    const r = rs(1);
    r.status = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0,
      observedGeneration: 3 };
    assert.equal(planStatus(r, [pod('a')], undefined, NOW).status, undefined);
  });
});

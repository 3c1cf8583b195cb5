/**
 * The Deployment plan, pure: which ReplicaSet writes, events and status one sync produces for
 * the situations of a rollout — first ReplicaSet, the rolling steps, Recreate, proportional
 * scaling mid-rollout, pause, the progress deadline, history cleanup, rollback reuse, hash
 * collisions (the hash itself: test/controllers/base/template-hash.test.ts).
 */
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../../src/api/apps/v1/workloads.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { templateHash } from '../../../src/controllers/base/template-hash.js';
import {
  planDeployment,
  type DeploymentAction,
  type DeploymentPlan,
} from '../../../src/controllers/deployment/plan.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const D_UID = 'd-uid';
const REVISION = 'deployment.kubernetes.io/revision';

function template(image: string): NonNullable<Deployment['spec']>['template'] {
  return { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } };
}

function deploy(o: { replicas?: number; image?: string; recreate?: boolean } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: D_UID, generation: 2 },
    spec: {
      replicas: o.replicas ?? 10,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.image ?? 'v2'),
      strategy: o.recreate ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: { observedGeneration: 2 },
  };
}

interface RsOpts {
  replicas: number;
  available?: number;
  revision?: number;
  created?: string;
  maxReplicas?: number;
  desired?: number;
}

function rs(name: string, image: string, o: RsOpts): ReplicaSet {
  const annotations: Record<string, string> = { [REVISION]: String(o.revision ?? 1) };
  if (o.desired !== undefined) {
    annotations['deployment.kubernetes.io/desired-replicas'] = String(o.desired);
  }
  if (o.maxReplicas !== undefined) {
    annotations['deployment.kubernetes.io/max-replicas'] = String(o.maxReplicas);
  }
  const t = template(image) ?? {};
  t.metadata = { labels: { app: 'web', 'pod-template-hash': name } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${name}`, namespace: 'ns', uid: `uid-${name}`, generation: 1,
      labels: { app: 'web', 'pod-template-hash': name }, annotations,
      creationTimestamp: o.created ?? '2025-01-01T10:00:00Z',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: D_UID,
        controller: true }],
    },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': name } },
      template: t,
    },
    status: { replicas: o.replicas, readyReplicas: o.available ?? o.replicas,
      availableReplicas: o.available ?? o.replicas, observedGeneration: 1 },
  };
}

function plan(d: Deployment, rss: ReplicaSet[], pods: Pod[] = []): DeploymentPlan {
  return planDeployment({ d, replicaSets: rss, pods, nowWallMs: NOW });
}

/** summary: the actions as short strings, RS names and sizes, for readable comparisons. */
function summary(actions: DeploymentAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'event':
        return `event ${a.reason}: ${a.message}`;
      case 'updateDeploymentStatus':
        return 'status';
      case 'patchDeploymentAnnotations':
        return `revision ${a.annotations[REVISION]}`;
      default:
        return `${a.type} ${a.rs.metadata.name} ${a.rs.spec?.replicas}`;
    }
  });
}

function statusOf(p: DeploymentPlan): NonNullable<Deployment['status']> {
  const a = p.actions.find((x) => x.type === 'updateDeploymentStatus');
  assert.ok(a && a.type === 'updateDeploymentStatus', 'expected a status write');
  return a.status;
}

function condition(p: DeploymentPlan, type: string): { status?: string; reason?: string;
  message?: string } | undefined {
  return statusOf(p).conditions?.find((c) => c.type === type);
}

describe('Deployment plan: rollouts', () => {
  it('a new Deployment gets one ReplicaSet "<name>-<hash>" at full size', () => {
    const d = deploy();
    const p = plan(d, []);
    const hash = templateHash(d.spec?.template);
    assert.deepEqual(summary(p.actions), [
      `createReplicaSet web-${hash} 10`,
      `event ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 10`,
      'revision 1',
      'status',
    ]);
    const created = p.actions[0];
    assert.ok(created?.type === 'createReplicaSet');
    assert.equal(created.rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.deepEqual(created.rs.spec?.selector?.matchLabels,
      { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(created.rs.metadata.annotations, { [REVISION]: '1',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13' });
    assert.equal(created.rs.metadata.ownerReferences?.[0]?.uid, D_UID);
    assert.deepEqual(condition(p, 'Progressing'), { type: 'Progressing', status: 'True',
      reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"`,
      lastUpdateTime: '2025-01-01T12:00:00Z', lastTransitionTime: '2025-01-01T12:00:00Z' });
    assert.equal(condition(p, 'Available')?.reason, 'MinimumReplicasUnavailable');
  });

  it('a template change creates the new ReplicaSet within maxSurge', () => {
    const old = rs('old', 'v1', { replicas: 10, desired: 10, maxReplicas: 13 });
    const p = plan(deploy(), [old]);
    const name = `web-${templateHash(deploy().spec?.template)}`;
    // As upstream, the same sync also scales the old one down by what maxUnavailable allows.
    assert.deepEqual(summary(p.actions), [
      `createReplicaSet ${name} 3`,
      `event ScalingReplicaSet: Scaled up replica set ${name} from 0 to 3`,
      'updateReplicaSet web-old 8',
      'event ScalingReplicaSet: Scaled down replica set web-old from 10 to 8',
      'revision 2',
      'status',
    ]);
  });

  it('then scales the old one down as far as maxUnavailable allows', () => {
    const old = rs('old', 'v1', { replicas: 10, desired: 10, maxReplicas: 13 });
    const cur = rs('new', 'v2', { replicas: 3, available: 0, revision: 2, desired: 10,
      maxReplicas: 13, created: '2025-01-01T11:00:00Z' });
    const p = plan(deploy(), [old, cur]);
    assert.deepEqual(summary(p.actions), [
      'updateReplicaSet web-old 8',
      'event ScalingReplicaSet: Scaled down replica set web-old from 10 to 8',
      'revision 2',
      'status',
    ]);
    assert.equal(condition(p, 'Progressing')?.reason, 'ReplicaSetUpdated');
    assert.equal(condition(p, 'Progressing')?.message, 'ReplicaSet "web-new" is progressing.');
  });

  it('when complete, reports NewReplicaSetAvailable and deletes history beyond the limit', () => {
    const d = deploy();
    d.spec = { ...d.spec, revisionHistoryLimit: 1 };
    d.metadata.annotations = { [REVISION]: '4' };
    d.status = { observedGeneration: 2, replicas: 10, updatedReplicas: 10, availableReplicas: 10,
      readyReplicas: 10 };
    const rss = [
      rs('r1', 'v0', { replicas: 0, revision: 1 }),
      rs('r2', 'v1', { replicas: 0, revision: 2 }),
      rs('r3', 'v3', { replicas: 0, revision: 3 }),
      rs('r4', 'v2', { replicas: 10, revision: 4, desired: 10, maxReplicas: 13 }),
    ];
    const p = plan(d, rss);
    assert.deepEqual(summary(p.actions), [
      'deleteReplicaSet web-r1 0', 'deleteReplicaSet web-r2 0', 'status']);
    assert.deepEqual(condition(p, 'Progressing'), { type: 'Progressing', status: 'True',
      reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-r4" has successfully progressed.',
      lastUpdateTime: '2025-01-01T12:00:00Z', lastTransitionTime: '2025-01-01T12:00:00Z' });
    assert.equal(condition(p, 'Available')?.message, 'Deployment has minimum availability.');
  });

  it('Recreate scales old ReplicaSets to zero, waits for their pods, then creates', () => {
    const old = rs('old', 'v1', { replicas: 3, desired: 3, maxReplicas: 3 });
    const d = deploy({ replicas: 3, recreate: true });
    assert.deepEqual(summary(plan(d, [old]).actions).slice(0, 2), [
      'updateReplicaSet web-old 0',
      'event ScalingReplicaSet: Scaled down replica set web-old from 3 to 0',
    ]);
    const drained = rs('old', 'v1', { replicas: 0, desired: 3, maxReplicas: 3 });
    const running: Pod = { metadata: { name: 'p', namespace: 'ns', ownerReferences: [{
      apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-old', uid: 'uid-old',
      controller: true }] },
    status: { phase: 'Running' } };
    const waiting = plan(d, [drained], [running]);
    assert.ok(!waiting.actions.some((a) => a.type === 'createReplicaSet'), 'waits for old pods');
    const go = plan(d, [drained], []);
    const hash = templateHash(d.spec?.template);
    assert.equal(summary(go.actions)[0], `createReplicaSet web-${hash} 3`);
  });

  it('rolls back by reusing the old ReplicaSet with a new revision and revision-history', () => {
    const back = rs('r1', 'v2', { replicas: 0, revision: 1, desired: 10, maxReplicas: 13 });
    const cur = rs('r2', 'v1', { replicas: 10, revision: 2, desired: 10, maxReplicas: 13 });
    const p = plan(deploy(), [back, cur]);
    const update = p.actions[0];
    assert.ok(update?.type === 'updateReplicaSet');
    assert.equal(update.rs.metadata.name, 'web-r1');
    assert.equal(update.rs.metadata.annotations?.[REVISION], '3');
    const history = update.rs.metadata.annotations?.['deployment.kubernetes.io/revision-history'];
    assert.equal(history, '1');
  });

  it('a hash collision bumps collisionCount instead of creating', () => {
    const d = deploy();
    const taken = rs(templateHash(d.spec?.template), 'other', { replicas: 1 });
    taken.metadata.ownerReferences = [];
    taken.metadata.labels = { app: 'db' };
    const p = plan(d, [taken]);
    assert.deepEqual(summary(p.actions), ['status']);
    assert.equal(statusOf(p).collisionCount, 1);
    const d2 = deploy();
    d2.status = { ...d2.status, collisionCount: 1 };
    assert.notEqual(templateHash(d2.spec?.template, 1), templateHash(d.spec?.template));
    assert.equal(plan(d2, [taken]).actions[0]?.type, 'createReplicaSet');
  });
});

describe('Deployment plan: scaling, pause, deadline', () => {
  it('scales proportionally mid-rollout (larger ReplicaSets take the leftovers)', () => {
    const old = rs('old', 'v1', { replicas: 8, desired: 10, maxReplicas: 13 });
    const cur = rs('new', 'v2', { replicas: 3, available: 0, revision: 2, desired: 10,
      maxReplicas: 13, created: '2025-01-01T11:00:00Z' });
    const p = plan(deploy({ replicas: 20 }), [old, cur]);
    assert.deepEqual(summary(p.actions).filter((s) => s.startsWith('event')), [
      'event ScalingReplicaSet: Scaled up replica set web-old from 8 to 19',
      'event ScalingReplicaSet: Scaled up replica set web-new from 3 to 6',
    ]);
    for (const a of p.actions) {
      if (a.type !== 'updateReplicaSet') continue;
      assert.equal(a.rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '20');
      assert.equal(a.rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '25');
    }
  });

  it('a paused Deployment does not roll out, says so, and still scales', () => {
    const d = deploy({ replicas: 12 });
    d.spec = { ...d.spec, paused: true };
    const old = rs('old', 'v1', { replicas: 10, desired: 10, maxReplicas: 13 });
    const p = plan(d, [old]);
    assert.deepEqual(summary(p.actions), [
      'updateReplicaSet web-old 12',
      'event ScalingReplicaSet: Scaled up replica set web-old from 10 to 12',
      'status',
    ]);
    assert.deepEqual(condition(p, 'Progressing'), { type: 'Progressing', status: 'Unknown',
      reason: 'DeploymentPaused', message: 'Deployment is paused',
      lastUpdateTime: '2025-01-01T12:00:00Z', lastTransitionTime: '2025-01-01T12:00:00Z' });
  });

  it('reports ProgressDeadlineExceeded once no progress was made for the deadline', () => {
    const old = rs('old', 'v1', { replicas: 10, desired: 10, maxReplicas: 13 });
    const cur = rs('new', 'v2', { replicas: 3, available: 0, revision: 2, desired: 10,
      maxReplicas: 13, created: '2025-01-01T11:00:00Z' });
    cur.status = { ...cur.status, readyReplicas: 0 };
    const d = deploy();
    d.metadata.annotations = { [REVISION]: '2' };
    d.status = { observedGeneration: 2, replicas: 13, updatedReplicas: 3, availableReplicas: 10,
      readyReplicas: 10, conditions: [{ type: 'Progressing', status: 'True',
        reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-new" is progressing.',
        lastUpdateTime: '2025-01-01T11:49:00Z', lastTransitionTime: '2025-01-01T11:40:00Z' }] };
    // Old 10 available, max unavailable 2: nothing can be scaled down, nothing moves.
    old.status = { ...old.status, availableReplicas: 10 };
    const late = plan(d, [old, cur]);
    assert.deepEqual(condition(late, 'Progressing'), { type: 'Progressing', status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "web-new" has timed out progressing.',
      lastUpdateTime: '2025-01-01T12:00:00Z', lastTransitionTime: '2025-01-01T12:00:00Z' });
    assert.equal(late.requeueAfterMs, undefined);
    const earlier = planDeployment({ d, replicaSets: [old, cur], pods: [],
      nowWallMs: Date.parse('2025-01-01T11:55:00Z') });
    assert.equal(earlier.requeueAfterMs, 4 * 60_000 + 1000, 'check again when the deadline ends');
  });
});

/**
 * The namespace controller's pure core: what to delete, the deletion conditions upstream
 * writes (texts included), finalizing only when nothing remains, and the bounded backoff.
 */
import assert from 'node:assert/strict';
import type { Namespace } from '../../../src/api/core/v1/cluster-kinds.js';
import type { KubeObject } from '../../../src/api/meta.js';
import {
  backoffMs,
  planContentDeletes,
  planNamespaceFinish,
  REQUEUE_MAX_MS,
  type ContentListing,
  type FinishInput,
} from '../../../src/controllers/namespace/plan.js';

const WALL = '2026-01-01T00:00:00Z';
const LATER = '2026-01-01T00:05:00Z';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

function ns(o: { deleting?: boolean; finalizers?: string[] } = {}): Namespace {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: 'x', uid: 'u-x', ...(o.deleting ?? true ? { deletionTimestamp: WALL } : {}) },
    spec: { finalizers: o.finalizers ?? ['kubernetes'] },
    status: { phase: 'Terminating' },
  };
}

function obj(name: string, o: { deleting?: boolean; finalizers?: string[] } = {}): KubeObject {
  return { metadata: { name, namespace: 'x', uid: `u-${name}`,
    ...(o.deleting ? { deletionTimestamp: WALL } : {}),
    ...(o.finalizers ? { finalizers: o.finalizers } : {}) } };
}

function input(o: Partial<FinishInput>): FinishInput {
  return { namespace: ns(), listings: [], deleteErrors: [], attempt: 0, nowWall: LATER, ...o };
}

const OK = [
  ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered',
    'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions',
    'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted',
    'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
];

describe('namespace plan (pure)', () => {
  it('deletes every object not already being deleted, across resources', () => {
    const listings: ContentListing[] = [
      { resource: PODS, items: [obj('p1'), obj('p2', { deleting: true })] },
      { resource: DEPLOYMENTS, items: [obj('web')] },
    ];
    assert.deepEqual(planContentDeletes('x', listings), [
      { type: 'delete', resource: PODS, namespace: 'x', name: 'p1', uid: 'u-p1' },
      { type: 'delete', resource: DEPLOYMENTS, namespace: 'x', name: 'web', uid: 'u-web' },
    ]);
  });

  it('empty: all-clear conditions, then finalize keeping other finalizers', () => {
    const p = planNamespaceFinish(input({ namespace: ns({ finalizers: ['kubernetes',
      'example.com/hold'] }), listings: [{ resource: PODS, items: [] }] }));
    assert.equal(p.requeueAfterMs, undefined);
    const [status, fin] = p.actions;
    assert.ok(status?.type === 'updateStatus');
    assert.deepEqual(status.conditions.map((c) => [c.type, c.status, c.reason, c.message]), OK);
    assert.ok(status.conditions.every((c) => c.lastTransitionTime === LATER));
    assert.deepEqual(fin, { type: 'finalize', finalizers: ['example.com/hold'] });
  });

  it('content left: says what and which finalizers, no finalize, requeue', () => {
    const p = planNamespaceFinish(input({ listings: [
      { resource: PODS, items: [obj('p1', { deleting: true }), obj('p2', { deleting: true })] },
      { resource: CONFIGMAPS, items: [obj('c', { deleting: true, finalizers: ['a.io/x'] })] },
      { resource: DEPLOYMENTS, items: [obj('d', { finalizers: ['a.io/x', 'b.io/y'] })] },
    ] }));
    assert.deepEqual(p.actions.map((a) => a.type), ['updateStatus']);
    const s = p.actions[0];
    assert.ok(s?.type === 'updateStatus');
    const by = (t: string): string[] => {
      const c = s.conditions.find((x) => x.type === t);
      return [c?.status ?? '', c?.reason ?? '', c?.message ?? ''];
    };
    assert.deepEqual(by('NamespaceContentRemaining'), ['True', 'SomeResourcesRemain',
      'Some resources are remaining: configmaps. has 1 resource instances, ' +
      'deployments.apps has 1 resource instances, pods. has 2 resource instances']);
    assert.deepEqual(by('NamespaceFinalizersRemaining'), ['True', 'SomeFinalizerRemain',
      'Some finalizers are remaining: a.io/x in 2 resource instances, ' +
      'b.io/y in 1 resource instances']);
    assert.equal(p.requeueAfterMs, backoffMs(0));
  });

  it('failed lists and deletes: content failure, no finalize even if nothing is listed', () => {
    const p = planNamespaceFinish(input({
      listings: [{ resource: PODS, items: [], error: 'failed to list pods: boom' }],
      deleteErrors: ['failed to delete configmaps c: nope'],
    }));
    const s = p.actions[0];
    assert.ok(s?.type === 'updateStatus');
    const c = s.conditions.find((x) => x.type === 'NamespaceDeletionContentFailure');
    assert.deepEqual([c?.status, c?.reason, c?.message], ['True', 'ContentDeletionFailed',
      'Failed to delete all resource types, 2 remaining: failed to delete configmaps c: nope, ' +
      'failed to list pods: boom']);
    assert.equal(p.actions.length, 1);
    assert.ok(p.requeueAfterMs !== undefined);
  });

  it('unchanged conditions are not rewritten; transition time moves only on status change',
    () => {
      const first = planNamespaceFinish(input({ listings: [{ resource: PODS,
        items: [obj('p', { deleting: true })] }] }));
      const s = first.actions[0];
      assert.ok(s?.type === 'updateStatus');
      const n = ns();
      n.status = { phase: 'Terminating', conditions: s.conditions };
      const again = planNamespaceFinish(input({ namespace: n, nowWall: '2030-01-01T00:00:00Z',
        listings: [{ resource: PODS, items: [obj('p', { deleting: true })] }], attempt: 3 }));
      assert.deepEqual(again.actions, []);
      assert.equal(again.requeueAfterMs, backoffMs(3));
      const done = planNamespaceFinish(input({ namespace: n, nowWall: '2030-01-01T00:00:00Z' }));
      const s2 = done.actions[0];
      assert.ok(s2?.type === 'updateStatus');
      const rem = s2.conditions.find((c) => c.type === 'NamespaceContentRemaining');
      assert.equal(rem?.lastTransitionTime, '2030-01-01T00:00:00Z');
      const disc = s2.conditions.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure');
      assert.equal(disc?.lastTransitionTime, LATER);
    });

  it('not marked for deletion, or already finalized by us: nothing', () => {
    assert.deepEqual(planNamespaceFinish(input({ namespace: ns({ deleting: false }) })),
      { actions: [] });
    assert.deepEqual(planNamespaceFinish(input({ namespace: ns({ finalizers: [] }) })),
      { actions: [] });
  });

  it('the backoff doubles and is capped', () => {
    assert.deepEqual([0, 1, 2, 3].map(backoffMs), [250, 500, 1000, 2000]);
    assert.equal(backoffMs(1_000), REQUEUE_MAX_MS);
  });
});

/**
 * The garbage collector's plan, pure: caches and live answers filled by hand, the planned
 * actions compared. Background, foreground chains, orphaning, mixed owners, a re-created owner
 * (uid mismatch) and a cache that has not yet seen an owner.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import {
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  ORPHAN_REQUEUE_MS,
  planDependent,
  planOwner,
  type GcAction,
} from '../../../src/controllers/garbagecollector/plan.js';
import { at, obj, ref, World } from './fixtures.js';

/** dependentPlan plans dep in world (cache view first; live reads when the plan asks). */
function dependentPlan(w: World, dep: KubeObject, withLive = false): GcAction[] {
  const hasDependents = w.dependentsOf(dep.metadata.uid ?? '').length > 0;
  return planDependent({ at: at(dep), obj: dep, owners: w.observe(dep, withLive), hasDependents });
}

/** dep / own: the plan's summary for a dependent / an owner. */
function seeDep(w: World, x: KubeObject, withLive = false): string[] {
  return summary(dependentPlan(w, x, withLive));
}

function seeOwner(w: World, x: KubeObject, batchMax?: number): string[] {
  return summary(ownerPlan(w, x, batchMax));
}

function ownerPlan(w: World, owner: KubeObject, batchMax?: number): GcAction[] {
  const dependents = w.dependentsOf(owner.metadata.uid ?? '');
  return planOwner({ at: at(owner), obj: owner, dependents, ...(batchMax ? { batchMax } : {}) });
}

/** summary renders actions compactly: "delete pods/default/p1 Background rv=7". */
function summary(actions: GcAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'verifyOwners': return `verify ${a.refs.map((r) => r.name).join(',')}`;
      case 'delete': {
        const t = a.target;
        return `delete ${t.at.name} ${a.policy} uid=${t.uid} rv=${t.resourceVersion}`;
      }
      case 'removeOwnerRefs': {
        const keep = a.remaining.map((r) => r.uid).join(',');
        return `unown ${a.target.at.name} -${a.ownerUids.join(',')} keep=${keep}`;
      }
      case 'removeFinalizer':
        return `unfinalize ${a.target.at.name} -${a.finalizer} keep=${a.remaining.join(',')}`;
      case 'enqueue': return `enqueue ${a.keys.join(' ')}`;
      case 'requeue': return `requeue ${a.afterMs}`;
      case 'event': return `event ${a.reason}`;
    }
  });
}

const fgDeleting = { deleting: true, finalizers: [FOREGROUND_FINALIZER] };
const orphanDeleting = { deleting: true, finalizers: [ORPHAN_FINALIZER] };

describe('garbage collector plan: background', () => {
  const rs = obj('replicasets', 'rs1');
  const pod = obj('pods', 'p1', { owners: [ref(rs, { block: true })], rv: '42' });

  it('an owner the cache shows with the referenced uid keeps its dependent', () => {
    assert.deepEqual(dependentPlan(new World([rs, pod]), pod), []);
  });

  it('an owner absent from the cache is read live before anything is deleted', () => {
    assert.deepEqual(seeDep(new World([pod], [pod]), pod), ['verify rs1']);
  });

  it('an owner confirmed absent: the dependent is deleted, its uid and rv as preconditions', () => {
    assert.deepEqual(seeDep(new World([pod], [pod]), pod, true), [
      'delete p1 Background uid=uid-p1 rv=42',
    ]);
  });

  it('stale cache: an owner the API still has is never treated as gone', () => {
    assert.deepEqual(dependentPlan(new World([pod], [rs, pod]), pod, true), []);
  });

  it('uid mismatch = owner gone: a re-created owner of the same name does not own it', () => {
    const again = obj('replicasets', 'rs1', { uid: 'uid-rs1-again' });
    const w = new World([again, pod]);
    assert.deepEqual(seeDep(w, pod), ['verify rs1'], 'the cache alone is not enough');
    assert.deepEqual(seeDep(w, pod, true), ['delete p1 Background uid=uid-p1 rv=42']);
  });

  it('a cached same-name owner of another uid is not trusted: the API has the right one', () => {
    const older = obj('replicasets', 'rs1', { uid: 'uid-old' });
    assert.deepEqual(dependentPlan(new World([older, pod], [rs, pod]), pod, true), []);
  });

  it('a dependent being deleted is left to its own deletion', () => {
    const going = obj('pods', 'p2', { owners: [ref(rs)], deleting: true, finalizers: ['x'] });
    assert.deepEqual(dependentPlan(new World([going]), going, true), []);
  });

  it('a dependent keeps its own requested propagation (orphan finalizer) when collected', () => {
    const d = obj('configmaps', 'c', { owners: [ref(rs)], finalizers: [ORPHAN_FINALIZER] });
    assert.deepEqual(seeDep(new World([d]), d, true), ['delete c Orphan uid=uid-c rv=7']);
  });
});

describe('garbage collector plan: mixed owners', () => {
  const a = obj('configmaps', 'a');
  const b = obj('configmaps', 'b');
  const dep = obj('configmaps', 'dep', { owners: [ref(a), ref(b)] });

  it('one owner alive, one gone: only the dangling reference is removed', () => {
    assert.deepEqual(seeDep(new World([a, dep]), dep, true), [
      'unown dep -uid-b keep=uid-a',
    ]);
  });

  it('one owner alive, one waiting in the foreground: the waiting reference is removed', () => {
    const bWaiting = obj('configmaps', 'b', { deleting: true, finalizers: [FOREGROUND_FINALIZER] });
    assert.deepEqual(seeDep(new World([a, bWaiting, dep]), dep), [
      'unown dep -uid-b keep=uid-a',
    ]);
  });

  it('an owner of an unserved kind is never treated as gone', () => {
    const odd = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'uid-w' };
    const d = obj('configmaps', 'd', { owners: [odd, ref(b)] });
    assert.deepEqual(seeDep(new World([d]), d, true), ['unown d -uid-b keep=uid-w']);
    const onlyOdd = obj('configmaps', 'e', { owners: [odd] });
    assert.deepEqual(dependentPlan(new World([onlyOdd]), onlyOdd, true), []);
  });

  it('all owners gone: deleted', () => {
    assert.deepEqual(seeDep(new World([dep]), dep, true), [
      'delete dep Background uid=uid-dep rv=7',
    ]);
  });
});

describe('garbage collector plan: scopes', () => {
  const node = obj('nodes', 'n1');

  it('a namespaced dependent of a cluster-scoped owner finds it without a namespace', () => {
    const cm = obj('configmaps', 'c', { ns: 'team', owners: [ref(node)] });
    assert.deepEqual(dependentPlan(new World([node, cm]), cm), []);
    assert.deepEqual(seeDep(new World([cm]), cm, true), ['delete c Background uid=uid-c rv=7']);
  });

  it('a namespaced owner is looked for in the dependent\'s namespace', () => {
    const owner = obj('configmaps', 'o', { ns: 'a' });
    const elsewhere = obj('configmaps', 'd', { ns: 'b', owners: [ref(owner)] });
    // The owner exists, but in another namespace: from "b" the reference points at nothing.
    assert.deepEqual(seeDep(new World([owner, elsewhere]), elsewhere, true), [
      'delete d Background uid=uid-d rv=7',
    ]);
    // And the owner does not count it as its dependent.
    const going = obj('configmaps', 'o', { ns: 'a', ...fgDeleting });
    assert.deepEqual(seeOwner(new World([going, elsewhere]), going), [
      'unfinalize o -foregroundDeletion keep=',
    ]);
  });

  it('a cluster-scoped object naming a namespaced owner is reported, never collected', () => {
    const cm = obj('configmaps', 'c');
    const n = obj('nodes', 'n2', { owners: [ref(cm)] });
    assert.deepEqual(seeDep(new World([n]), n, true), ['event OwnerRefInvalidNamespace']);
  });
});

describe('garbage collector plan: foreground', () => {
  const fg = { deleting: true, finalizers: [FOREGROUND_FINALIZER] };
  const a = obj('configmaps', 'a', fg);
  const b = obj('configmaps', 'b', { owners: [ref(a, { block: true })] });
  const c = obj('configmaps', 'c', { owners: [ref(b, { block: true })] });

  it('an owner waiting for dependents has them looked at and keeps its finalizer', () => {
    assert.deepEqual(seeOwner(new World([a, b, c]), a), ['enqueue configmaps/default/b']);
  });

  it('a dependent that owns others goes in the foreground too, so grandchildren go first', () => {
    assert.deepEqual(seeDep(new World([a, b, c]), b), ['delete b Foreground uid=uid-b rv=7']);
  });

  it('a leaf dependent of a waiting owner goes in the background', () => {
    const bWaiting = obj('configmaps', 'b', { ...fg, owners: [ref(a, { block: true })] });
    assert.deepEqual(seeDep(new World([a, bWaiting, c]), c), [
      'delete c Background uid=uid-c rv=7',
    ]);
  });

  it('the middle of the chain waits while a blocking dependent exists, then lets go', () => {
    const bWaiting = obj('configmaps', 'b', { ...fg, owners: [ref(a, { block: true })] });
    const w = new World([a, bWaiting, c]);
    assert.deepEqual(seeOwner(w, bWaiting), ['enqueue configmaps/default/c']);
    assert.deepEqual(seeOwner(new World([a, bWaiting]), bWaiting), [
      'unfinalize b -foregroundDeletion keep=',
    ]);
    // a still waits while b (being deleted, blocking) exists; nothing to enqueue for it.
    assert.deepEqual(seeOwner(new World([a, bWaiting]), a), []);
    assert.deepEqual(seeOwner(new World([a]), a), ['unfinalize a -foregroundDeletion keep=']);
  });

  it('dependents that do not block owner deletion do not hold the owner', () => {
    const loose = obj('pods', 'p', { owners: [ref(a, { block: false })] });
    assert.deepEqual(seeOwner(new World([a, loose]), a), [
      'enqueue pods/default/p',
      'unfinalize a -foregroundDeletion keep=',
    ]);
  });

  it('other finalizers stay', () => {
    const finalizers = ['example.com/x', FOREGROUND_FINALIZER];
    const a2 = obj('configmaps', 'a', { deleting: true, finalizers });
    assert.deepEqual(seeOwner(new World([a2]), a2), [
      'unfinalize a -foregroundDeletion keep=example.com/x',
    ]);
  });
});

describe('garbage collector plan: orphan', () => {
  const other = obj('configmaps', 'other');
  const owner = obj('replicasets', 'rs', { ...orphanDeleting, rv: '9' });
  const p1 = obj('pods', 'p1', { owners: [ref(owner, { block: true })], rv: '11' });
  const p2 = obj('pods', 'p2', { owners: [ref(other), ref(owner)], rv: '12' });

  it('references to the owner are removed from every dependent, then the finalizer', () => {
    const actions = ownerPlan(new World([owner, other, p1, p2]), owner);
    assert.deepEqual(summary(actions), [
      'unown p1 -uid-rs keep=',
      'unown p2 -uid-rs keep=uid-other',
      'unfinalize rs -orphan keep=',
    ]);
    const first = actions[0]!;
    assert.ok(first.type === 'removeOwnerRefs');
    assert.deepEqual(first.target, { at: at(p1), uid: 'uid-p1', resourceVersion: '11' });
    const last = actions[2]!;
    assert.ok(last.type === 'removeFinalizer');
    assert.equal(last.target.resourceVersion, '9');
  });

  it('more dependents than one batch: a batch, then a requeue instead of the finalizer', () => {
    assert.deepEqual(seeOwner(new World([owner, other, p1, p2]), owner, 1), [
      'unown p1 -uid-rs keep=',
      `requeue ${ORPHAN_REQUEUE_MS}`,
    ]);
  });

  it('an owner not being deleted needs nothing', () => {
    const live = obj('replicasets', 'rs', { finalizers: [ORPHAN_FINALIZER] });
    assert.deepEqual(ownerPlan(new World([live, p1]), live), []);
  });
});

import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/api/meta.js';
import { finishedFinalizing, planDelete } from '../../../src/apiserver/registry/deletion.js';
import { generatedName, prepareUpdateMeta, rfc3339 } from '../../../src/apiserver/registry/object-meta.js';
import { ipString, parseCidr } from '../../../src/apiserver/registry/allocator.js';
import { selectorString } from '../../../src/apiserver/registry/scale.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function pod(extra: Partial<KubeObject> = {}): KubeObject {
  return { metadata: { name: 'p', uid: 'u1' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 }, status: { phase: 'Running' }, ...extra };
}

describe('deletion plan (graceful deletion and finalizers)', () => {
  it('an unscheduled or finished pod goes at once; a running one gets its grace period', () => {
    assert.deepEqual(planDelete(pod({ spec: {} }), 'Pod', {}, NOW), { action: 'delete' });
    assert.deepEqual(planDelete(pod({ status: { phase: 'Succeeded' } }), 'Pod', {}, NOW), { action: 'delete' });
    const p = planDelete(pod(), 'Pod', {}, NOW);
    assert.equal(p.action, 'update');
    if (p.action !== 'update') return;
    assert.equal(p.object.metadata.deletionTimestamp, '2026-11-23T12:00:30Z');
    assert.equal(p.object.metadata.deletionGracePeriodSeconds, 30);
    assert.deepEqual(planDelete(pod(), 'Pod', { gracePeriodSeconds: 0 }, NOW), { action: 'delete' });
  });

  it('a second delete with a shorter grace shortens it; with grace 0 removes it', () => {
    const first = planDelete(pod(), 'Pod', {}, NOW);
    if (first.action !== 'update') throw new Error('expected update');
    assert.deepEqual(planDelete(first.object, 'Pod', {}, NOW), { action: 'none' });
    const shorter = planDelete(first.object, 'Pod', { gracePeriodSeconds: 5 }, NOW);
    assert.equal(shorter.action === 'update' && shorter.object.metadata.deletionGracePeriodSeconds, 5);
    assert.deepEqual(planDelete(first.object, 'Pod', { gracePeriodSeconds: 0 }, NOW), { action: 'delete' });
  });

  it('foreground and orphan propagation add their finalizers; finalizers keep the object', () => {
    const cm: KubeObject = { metadata: { name: 'd' } };
    const fg = planDelete(cm, 'Deployment', { propagationPolicy: 'Foreground' }, NOW);
    assert.deepEqual(fg.action === 'update' && fg.object.metadata.finalizers, ['foregroundDeletion']);
    const or = planDelete(cm, 'Deployment', { propagationPolicy: 'Orphan' }, NOW);
    assert.deepEqual(or.action === 'update' && or.object.metadata.finalizers, ['orphan']);
    assert.deepEqual(planDelete(cm, 'Deployment', { propagationPolicy: 'Background' }, NOW), { action: 'delete' });
    const held = planDelete({ metadata: { name: 'x', finalizers: ['example.com/hold'] } }, 'ConfigMap', {}, NOW);
    assert.equal(held.action, 'update');
    if (held.action === 'update') {
      assert.equal(finishedFinalizing(held.object, 'ConfigMap'), false);
      assert.equal(finishedFinalizing({ ...held.object, metadata: { ...held.object.metadata, finalizers: [] } }, 'ConfigMap'), true);
    }
  });

  it('a namespace with spec.finalizers turns Terminating', () => {
    const ns: KubeObject = { metadata: { name: 'demo' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    const p = planDelete(ns, 'Namespace', {}, NOW);
    assert.equal(p.action, 'update');
    if (p.action === 'update') assert.deepEqual(p.object.status, { phase: 'Terminating' });
  });
});

describe('object metadata rules', () => {
  it('timestamps are RFC 3339 at second precision', () => {
    assert.equal(rfc3339(NOW + 999), '2026-11-23T12:00:00Z');
  });
  it('generateName appends five characters from the consonant alphabet', () => {
    let i = 0;
    const name = generatedName('web-', () => (i++ % 27) / 27);
    assert.match(name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
  it('generation moves only when the spec changes', () => {
    const old: KubeObject = { metadata: { name: 'd', uid: 'u', generation: 3, creationTimestamp: 't' }, spec: { replicas: 1 } };
    const same: KubeObject = { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 1 } };
    prepareUpdateMeta(same, old, ['spec']);
    assert.deepEqual([same.metadata.generation, same.metadata.uid, same.metadata.creationTimestamp], [3, 'u', 't']);
    const changed: KubeObject = { metadata: { name: 'd', uid: 'forged' }, spec: { replicas: 2 } };
    prepareUpdateMeta(changed, old, ['spec']);
    assert.deepEqual([changed.metadata.generation, changed.metadata.uid], [4, 'u']);
  });
  it('service CIDRs and selector strings', () => {
    const c = parseCidr('127.96.0.0/16');
    assert.equal(ipString(c.base + 1), '127.96.0.1');
    assert.equal(c.size, 65536);
    assert.equal(selectorString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }), 'a=1,b=2,tier in (api,web)');
  });
});

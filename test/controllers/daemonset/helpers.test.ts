/**
 * The shared helpers the DaemonSet and Job controllers use (src/controllers/base): template
 * hashes, IntOrString scaling, slow-start batches, and node fit's toleration rules.
 */
import assert from 'node:assert/strict';
import { scaledIntOrPercent } from '../../../src/controllers/base/int-or-percent.js';
import { slowStartBatch } from '../../../src/controllers/base/slow-start.js';
import { canonicalJson, templateHash } from '../../../src/controllers/base/template-hash.js';
import { matchesRequiredAffinity, tolerates } from '../../../src/controllers/daemonset/node-fit.js';
import { node } from './fixtures.js';

describe('controller helpers', () => {
  it('templateHash: key order does not matter, content and collisionCount do', () => {
    const a = { metadata: { labels: { x: '1', y: '2' } }, spec: { containers: [{ name: 'c' }] } };
    const b = { spec: { containers: [{ name: 'c' }] }, metadata: { labels: { y: '2', x: '1' } } };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(templateHash(a), templateHash(b));
    assert.notEqual(templateHash(a), templateHash({ ...a, spec: { containers: [{ name: 'd' }] } }));
    assert.notEqual(templateHash(a), templateHash(a, 1));
    assert.match(templateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,7}$/);
  });

  it('scaledIntOrPercent rounds percentages as asked', () => {
    assert.equal(scaledIntOrPercent('25%', 10, true), 3);
    assert.equal(scaledIntOrPercent('25%', 10, false), 2);
    assert.equal(scaledIntOrPercent(4, 10, true), 4);
    assert.equal(scaledIntOrPercent(undefined, 10, true, 1), 1);
  });

  it('slowStartBatch doubles batches and stops after a failing one', async () => {
    const calls: number[] = [];
    const ok = await slowStartBatch(10, async (i) => { calls.push(i); });
    assert.deepEqual(ok, { successes: 10, skipped: 0 });
    assert.equal(calls.length, 10);
    const seen: number[] = [];
    const failing = await slowStartBatch(10, async (i) => {
      seen.push(i);
      if (i === 2) throw new Error('quota');
    });
    // Batches 1, 2 (the failure at index 2), then nothing more.
    assert.deepEqual(seen.sort((x, y) => x - y), [0, 1, 2]);
    assert.equal(failing.successes, 2);
    assert.equal(failing.skipped, 7);
    assert.equal((failing.error as Error).message, 'quota');
  });

  it('tolerations: Exists with no key tolerates everything; Equal compares values', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
    assert.ok(tolerates({ operator: 'Exists' }, taint));
    assert.ok(tolerates({ key: 'k', value: 'v' }, taint));
    assert.ok(!tolerates({ key: 'k', value: 'w' }, taint));
    assert.ok(!tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
  });

  it('required node affinity: terms are ORed, an empty term matches nothing, Gt compares', () => {
    const n = node('n1', { labels: { cpus: '8' } });
    const spec = (terms: object[]) => ({ containers: [], affinity: { nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    assert.ok(!matchesRequiredAffinity(spec([{}]), n));
    assert.ok(matchesRequiredAffinity(spec([{}, { matchExpressions: [{ key: 'cpus',
      operator: 'Gt', values: ['4'] }] }]), n));
    assert.ok(!matchesRequiredAffinity(spec([{ matchExpressions: [{ key: 'cpus',
      operator: 'Lt', values: ['4'] }] }]), n));
    assert.ok(matchesRequiredAffinity(spec([{ matchFields: [{ key: 'metadata.name',
      operator: 'NotIn', values: ['n2'] }] }]), n));
  });
});

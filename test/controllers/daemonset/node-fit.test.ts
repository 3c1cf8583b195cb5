/**
 * The DaemonSet's node fit (./node-fit.ts): toleration rules and required node affinity. The
 * helpers shared with other controllers are tested in test/controllers/base/helpers.test.ts.
 */
import assert from 'node:assert/strict';
import { matchesRequiredAffinity, tolerates } from '../../../src/controllers/daemonset/node-fit.js';
import { node } from './fixtures.js';

describe('DaemonSet node fit', () => {
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

/**
 * TaintToleration: NoSchedule/NoExecute taints reject pods that do not tolerate them (with
 * upstream's reason text naming the first such taint); PreferNoSchedule only lowers the score.
 */
import assert from 'node:assert/strict';
import type { Toleration } from '../../../../src/api/core/v1/pod-types.js';
import { tolerates } from '../../../../src/scheduler/plugins/helpers/taints.js';
import {
  taintTolerationPlugin,
} from '../../../../src/scheduler/plugins/taint-toleration/taint-toleration.js';
import { node, pod, reasonsByNode, runFilter, runScore, snapshotOf } from '../../fixtures.js';

describe('scheduler plugin TaintToleration', () => {
  const snap = snapshotOf([
    node('plain'),
    node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane',
      effect: 'NoSchedule' }] }),
    node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] }),
    node('soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }),
  ]);

  it('rejects untolerated NoSchedule and NoExecute taints with upstream text', () => {
    const got = reasonsByNode(runFilter(taintTolerationPlugin(), snap, pod('p')));
    assert.deepEqual(got, {
      plain: '',
      cp: 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
      gpu: 'node(s) had untolerated taint {dedicated: gpu}',
      soft: '',
    });
  });

  it('accepts tolerated taints (Equal with value, Exists by key)', () => {
    const tolerations: Toleration[] = [
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
    ];
    const p = pod('p', { spec: { tolerations } });
    const got = reasonsByNode(runFilter(taintTolerationPlugin(), snap, p));
    assert.deepEqual(got, { plain: '', cp: '', gpu: '', soft: '' });
  });

  it('scores nodes with untolerated PreferNoSchedule taints lowest', () => {
    assert.deepEqual(runScore(taintTolerationPlugin(), snap, pod('p'), ['plain', 'soft']),
      { plain: 100, soft: 0 });
    const tolerations: Toleration[] = [{ key: 'spot', operator: 'Exists' }];
    assert.deepEqual(runScore(taintTolerationPlugin(), snap, pod('p', { spec: { tolerations } }),
      ['plain', 'soft']), { plain: 100, soft: 100 });
  });

  it('matches tolerations as core/v1 does', () => {
    const t = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
    assert.ok(tolerates({ operator: 'Exists' }, t), 'empty key + Exists tolerates everything');
    assert.ok(tolerates({ key: 'k', value: 'v' }, t), 'operator defaults to Equal');
    assert.ok(!tolerates({ key: 'k', value: 'w' }, t));
    assert.ok(!tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, t));
  });
});

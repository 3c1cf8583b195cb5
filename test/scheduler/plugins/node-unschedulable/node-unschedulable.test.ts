/** NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint. */
import assert from 'node:assert/strict';
import { Code } from '../../../../src/scheduler/framework/status.js';
import {
  nodeUnschedulablePlugin,
} from '../../../../src/scheduler/plugins/node-unschedulable/node-unschedulable.js';
import { node, pod, reasonsByNode, runFilter, snapshotOf } from '../../fixtures.js';

describe('scheduler plugin NodeUnschedulable', () => {
  const snap = snapshotOf([node('open'), node('cordoned', { unschedulable: true })]);

  it('rejects cordoned nodes as unresolvable', () => {
    const got = runFilter(nodeUnschedulablePlugin(), snap, pod('p'));
    assert.deepEqual(reasonsByNode(got), { open: '', cordoned: 'node(s) were unschedulable' });
    assert.ok(got !== 'skip');
    assert.equal(got.get('cordoned')?.code, Code.UnschedulableAndUnresolvable);
  });

  it('lets pods tolerating node.kubernetes.io/unschedulable in', () => {
    const tolerations = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' as const,
      effect: 'NoSchedule' as const }];
    const got = runFilter(nodeUnschedulablePlugin(), snap, pod('p', { spec: { tolerations } }));
    assert.deepEqual(reasonsByNode(got), { open: '', cordoned: '' });
  });
});

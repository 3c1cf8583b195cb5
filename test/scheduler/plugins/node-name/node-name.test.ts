/** NodeName: a pod naming a node fits only that node; others skip the filter. */
import assert from 'node:assert/strict';
import { nodeNamePlugin } from '../../../../src/scheduler/plugins/node-name/node-name.js';
import { node, pod, reasonsByNode, runFilter, snapshotOf } from '../../fixtures.js';

describe('scheduler plugin NodeName', () => {
  const snap = snapshotOf([node('a'), node('b')]);

  it('skips pods without spec.nodeName', () => {
    assert.equal(runFilter(nodeNamePlugin(), snap, pod('p')), 'skip');
  });

  it('fits only the named node, unresolvably elsewhere', () => {
    const got = runFilter(nodeNamePlugin(), snap, pod('p', { spec: { nodeName: 'b' } }));
    assert.deepEqual(reasonsByNode(got),
      { a: "node(s) didn't match the requested node name", b: '' });
  });
});

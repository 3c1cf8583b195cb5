/**
 * The status the status manager writes: the kubelet's report merged over the API's status,
 * keeping conditions others own and never leaving a terminal phase.
 */
import assert from 'node:assert/strict';
import { mergeStatus, sameStatus } from '../../../src/kubelet/status-manager/merge.js';

describe('kubelet status merge', () => {
  it('keeps conditions the kubelet does not report and nominatedNodeName', () => {
    const merged = mergeStatus({ phase: 'Pending', nominatedNodeName: 'w1', conditions: [
      { type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] },
    { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    assert.deepEqual(merged, { phase: 'Running', nominatedNodeName: 'w1', conditions: [
      { type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] });
  });

  it('never moves a terminal pod back to running', () => {
    assert.equal(mergeStatus({ phase: 'Failed' }, { phase: 'Running' }), undefined);
    assert.deepEqual(mergeStatus({ phase: 'Failed' }, { phase: 'Succeeded' }),
      { phase: 'Succeeded' });
  });

  it('compares statuses by value, whatever the key order', () => {
    assert.ok(sameStatus({ phase: 'Running', podIP: 'a' }, { podIP: 'a', phase: 'Running' }));
    assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Pending' }));
  });
});

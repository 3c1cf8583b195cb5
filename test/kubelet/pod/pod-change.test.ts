/**
 * needsSync: which pod updates make a running pod's worker sync again. The echo of its own
 * status write (only status, resourceVersion and managedFields differ) does not; a change of the
 * spec, the metadata, or (with readiness gates) the API's conditions does.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { needsSync } from '../../../src/kubelet/pod/pod-change.js';
import { echoOnly } from '../../../src/kubelet/pod-workers.js';
import { makePod } from './fixtures.js';

function echo(pod: Pod): Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, resourceVersion: '42',
      managedFields: [{ manager: 'kubelet', operation: 'Update' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe('kubelet pod worker: which updates need a sync', () => {
  it('the echo of its own status write does not', () => {
    const pod = makePod({});
    assert.equal(needsSync(pod, echo(pod)), false);
  });

  it('a spec change does', () => {
    const pod = makePod({});
    const next = echo(pod);
    next.spec = { ...pod.spec!, activeDeadlineSeconds: 5 };
    assert.equal(needsSync(pod, next), true);
  });

  it('a label, annotation or deletion change does', () => {
    const pod = makePod({});
    for (const change of [{ labels: { a: 'b' } }, { annotations: { a: 'b' } },
      { deletionTimestamp: '2026-11-23T00:00:00Z', deletionGracePeriodSeconds: 0 }]) {
      const next = echo(pod);
      next.metadata = { ...next.metadata, ...change };
      assert.equal(needsSync(pod, next), true, JSON.stringify(change));
    }
  });

  it('with readiness gates, a change of the API conditions does', () => {
    const pod = makePod({});
    pod.spec = { ...pod.spec!, readinessGates: [{ conditionType: 'example.com/gate' }] };
    const next = echo(pod);
    assert.equal(needsSync(pod, next), true);
    assert.equal(needsSync(next, { ...next, metadata: { ...next.metadata, resourceVersion: '43' } }),
      false);
  });
});

describe('kubelet pod worker handle: which updates reach the worker', () => {
  it('the echo after its first status does not; before it, or with a change, it does', () => {
    const pod = makePod({});
    const reported = { phase: 'Running' as const };
    assert.equal(echoOnly({ pod, lastStatus: reported }, echo(pod)), true);
    // Before its first status the worker builds it from the API's copy: it must see it.
    assert.equal(echoOnly({ pod, lastStatus: undefined }, echo(pod)), false);
    const changed = echo(pod);
    changed.metadata = { ...changed.metadata, labels: { a: 'b' } };
    assert.equal(echoOnly({ pod, lastStatus: reported }, changed), false);
  });
});

/**
 * The shared pod writes (src/controllers/base/pod-writes.ts) against an API double that refuses
 * creates: slow start stops after the first refused batch, a namespace being deleted is no error
 * to retry, and the expectations get back every create that will never show.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { StatusError } from '../../../src/api/errors.js';
import { systemClock } from '../../../src/base/clock.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import { namespaceTerminating } from '../../../src/controllers/base/api-errors.js';
import { Expectations } from '../../../src/controllers/base/expectations.js';
import { createPods, type PodWriter } from '../../../src/controllers/base/pod-writes.js';

const OWNER: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'owner', namespace: 'ns' } };
const POD: Pod = { apiVersion: 'v1', kind: 'Pod',
  metadata: { generateName: 'p-', namespace: 'ns' } };

/** refusing: a writer whose creates all fail with err; counts the calls and events. */
function refusing(err: Error): { w: PodWriter; calls: () => number; reasons: string[] } {
  let calls = 0;
  const reasons: string[] = [];
  const api = { create: async () => {
    calls++;
    throw err;
  } } as unknown as ComponentApi;
  const w: PodWriter = { api, expectations: new Expectations(systemClock),
    recorder: { event: (_o, _t, reason) => reasons.push(reason) } };
  return { w, calls: () => calls, reasons };
}

describe('pod writes', () => {
  it('a namespace being deleted stops the creates after one call, with no error', async () => {
    const terminating = new StatusError(403, 'Forbidden', 'unable to create new content in ' +
      'namespace ns because it is being terminated');
    assert.ok(namespaceTerminating(terminating));
    assert.ok(!namespaceTerminating(new StatusError(403, 'Forbidden', 'quota exceeded')));
    const r = refusing(terminating);
    r.w.expectations.expect('ns/owner', 10);
    const out = await createPods(r.w, 'ns/owner', OWNER, Array.from({ length: 10 }, () => POD));
    assert.equal(r.calls(), 1);
    assert.deepEqual(out, { notDone: 10 });
    assert.deepEqual(r.reasons, [], 'no FailedCreate for a namespace going away');
    assert.ok(r.w.expectations.satisfied('ns/owner'), 'every create given back');
  });

  it('another refusal stops after the first batch and is the error to retry', async () => {
    const quota = new StatusError(403, 'Forbidden', 'exceeded quota');
    const r = refusing(quota);
    r.w.expectations.expect('ns/owner', 10);
    const out = await createPods(r.w, 'ns/owner', OWNER, Array.from({ length: 10 }, () => POD));
    assert.equal(r.calls(), 1);
    assert.equal(out.notDone, 10);
    assert.equal(out.error, quota);
    assert.deepEqual(r.reasons, ['FailedCreate']);
    assert.ok(r.w.expectations.satisfied('ns/owner'));
  });
});

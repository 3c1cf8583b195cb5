/**
 * The probe result tracker: initial verdicts per kind, thresholds of consecutive outcomes,
 * defaults of the Probe fields and the first run's delay — upstream's prober worker arithmetic.
 */
import assert from 'node:assert/strict';
import {
  firstRunDelayMs,
  initialTracker,
  probeTimings,
  recordOutcome,
  type ProbeOutcome,
  type ProbeResult,
} from '../../../src/kubelet/probes/tracker.js';

/** run feeds outcomes ('s'/'f') and returns the verdict after each. */
function run(kind: 'startup' | 'liveness' | 'readiness', seq: string, success = 1, failure = 3) {
  let st = initialTracker(kind);
  const out: ProbeResult[] = [];
  for (const ch of seq) {
    const o: ProbeOutcome = ch === 's' ? 'success' : 'failure';
    st = recordOutcome(st, o, { successThreshold: success, failureThreshold: failure });
    out.push(st.result);
  }
  return out.map((r) => r[0]).join('');
}

describe('probe tracker', () => {
  it('initial verdicts: readiness failure, liveness success, startup unknown', () => {
    assert.equal(initialTracker('readiness').result, 'failure');
    assert.equal(initialTracker('liveness').result, 'success');
    assert.equal(initialTracker('startup').result, 'unknown');
  });

  const table: [string, Parameters<typeof run>, string][] = [
    ['liveness flips after 3 consecutive failures', ['liveness', 'fffs'], 'ssfs'],
    ['a success in between resets the failure count', ['liveness', 'ffsfff'], 'sssssf'],
    ['readiness becomes success at the first success', ['readiness', 'fsf'], 'fss'],
    ['successThreshold 2 needs two in a row', ['readiness', 'sfss', 2, 1], 'fffs'],
    ['failureThreshold 1 flips at once', ['liveness', 'f', 1, 1], 'f'],
    ['startup stays unknown until a success', ['startup', 'ffs', 1, 5], 'uus'],
  ];
  for (const [name, args, want] of table) {
    it(name, () => assert.equal(run(...args), want));
  }

  it('defaults: period 10 s, timeout 1 s, thresholds 1 and 3, no initial delay', () => {
    assert.deepEqual(probeTimings({}), {
      initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(probeTimings({ initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3,
      successThreshold: 2, failureThreshold: 4 }), {
      initialDelayMs: 5_000, periodMs: 2_000, timeoutMs: 3_000, successThreshold: 2,
      failureThreshold: 4,
    });
  });

  it('the first run waits initialDelaySeconds from the container start', () => {
    const t = probeTimings({ initialDelaySeconds: 5 });
    assert.equal(firstRunDelayMs(t, 1_000, 1_000), 5_000);
    assert.equal(firstRunDelayMs(t, 1_000, 4_000), 2_000);
    assert.equal(firstRunDelayMs(t, 1_000, 9_000), 0);
  });
});

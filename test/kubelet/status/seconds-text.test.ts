/**
 * secondsText (src/kubelet/status/seconds-text.ts): the same text as rfc3339Seconds for any
 * sequence of times — repeated, within one second, across seconds, and back again.
 */
import assert from 'node:assert/strict';
import { rfc3339Seconds } from '../../../src/client/events/recorder.js';
import { Prng } from '../../../src/base/prng.js';
import { secondsText } from '../../../src/kubelet/status/seconds-text.js';

describe('kubelet status: secondsText', () => {
  it('formats as rfc3339Seconds, whatever time was asked before', () => {
    const base = Date.UTC(2026, 10, 25, 5, 59, 58, 999);
    const fixed = [base, base, base + 1, base + 1001, base, base - 999, base - 1_000, 0, 999,
      1_000, base + 86_400_000];
    const prng = new Prng(13);
    const random = Array.from({ length: 2_000 },
      () => base + Math.floor((prng.float() - 0.5) * 10_000));
    for (const ms of [...fixed, ...random]) {
      assert.equal(secondsText(ms), rfc3339Seconds(ms), `at ${ms}`);
    }
    assert.equal(secondsText(base), '2026-11-25T05:59:58Z');
  });
});

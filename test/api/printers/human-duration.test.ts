/** HumanDuration: every band of the AGE format (reference/kubectl-wire.md §3.5). */
import { strict as assert } from 'node:assert';
import { humanDuration, timestampSince } from '../../../src/api/printers/human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1999, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 30 * S, '5m30s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [2 * Y, '2y'],
    [3 * Y + 10 * D, '3y10d'],
    [8 * Y + 100 * D, '8y'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms} ms → ${want}`, () => assert.equal(humanDuration(ms), want));
  }

  it('timestamps: absent and Go zero time are <unknown>', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    assert.equal(timestampSince('2025-01-01T00:00:00Z', now), '10m');
    assert.equal(timestampSince(undefined, now), '<unknown>');
    assert.equal(timestampSince(null, now), '<unknown>');
    assert.equal(timestampSince('0001-01-01T00:00:00Z', now), '<unknown>');
  });
});

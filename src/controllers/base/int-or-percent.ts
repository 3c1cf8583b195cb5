/**
 * IntOrString fields of rolling updates (maxUnavailable, maxSurge) resolved against a total
 * (apimachinery's GetScaledValueFromIntOrPercent): 2 is 2, "25%" of 10 is 2.5 rounded up or down
 * as the caller's rule says. Pure; a malformed value is a programmer error here because the API
 * server's validation already refused it.
 */
import { assert } from '../../base/assert.js';
import type { IntOrString } from '../../api/core/v1/common-types.js';

const PERCENT = /^([0-9]+)%$/;

/** scaledIntOrPercent: v against total; undefined counts as fallback. */
export function scaledIntOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean,
  fallback = 0): number {
  assert(total >= 0, `scaledIntOrPercent: negative total ${total}`);
  if (v === undefined) return fallback;
  if (typeof v === 'number') {
    assert(Number.isInteger(v) && v >= 0, `scaledIntOrPercent: bad value ${v}`);
    return v;
  }
  const m = PERCENT.exec(v);
  if (m === null) {
    assert(/^[0-9]+$/.test(v), `scaledIntOrPercent: bad value "${v}"`);
    return Number(v);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

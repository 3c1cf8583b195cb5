/**
 * secondsText: a wall time as the status's RFC 3339 text to the second (rfc3339Seconds),
 * remembered for the last second asked. A status build needs the same "now" for its start time
 * and every condition that changed (up to six Date objects and toISOString calls per pod), and a
 * burst's statuses are built within the same few seconds, mostly of the same second: one
 * formatting serves them all. Containers' start times (also to the second) share it.
 */
import { rfc3339Seconds } from '../../client/events/recorder.js';

let lastSecond = Number.NaN;
let lastText = '';

/** secondsText formats wallMs (ms since the epoch) as rfc3339Seconds does. */
export function secondsText(wallMs: number): string {
  const second = Math.floor(wallMs / 1000);
  if (second !== lastSecond) {
    lastText = rfc3339Seconds(wallMs);
    lastSecond = second;
  }
  return lastText;
}

/**
 * HumanDuration: the AGE format of kube-apiserver's Tables (apimachinery duration.HumanDuration,
 * reference/kubectl-wire.md §3.5). Precision shrinks as durations grow (~2-3 significant
 * figures), so "5m30s" but "3h" and "45d". Pure: callers pass both instants.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAYS_PER_YEAR = 365;
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/**
 * humanDuration renders an elapsed time in milliseconds. Up to 2 s in the future still prints
 * "0s" (clock skew between the server and whoever wrote the timestamp); earlier is "<invalid>".
 */
export function humanDuration(elapsedMs: number): string {
  const seconds = Math.trunc(elapsedMs / SECOND_MS);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(elapsedMs / MINUTE_MS);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(elapsedMs / HOUR_MS);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (hours < 24 * DAYS_PER_YEAR * 2) return `${days}d`;
  const years = Math.floor(days / DAYS_PER_YEAR);
  if (hours < 24 * DAYS_PER_YEAR * 8) return withRest(years, 'y', days % DAYS_PER_YEAR, 'd');
  return `${years}y`;
}

function withRest(whole: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${whole}${unit}` : `${whole}${unit}${rest}${restUnit}`;
}

/**
 * timestampSince renders how long ago an RFC 3339 timestamp was, as a Table cell does; an absent
 * or unparsable timestamp (Go's zero time) prints "<unknown>".
 */
export function timestampSince(timestamp: unknown, nowMs: number): string {
  const thenMs = parseTimestamp(timestamp);
  return thenMs === undefined ? '<unknown>' : humanDuration(nowMs - thenMs);
}

/** parseTimestamp reads a metav1.Time / MicroTime string; undefined when absent or invalid. */
export function parseTimestamp(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string' || timestamp === '') return undefined;
  const ms = Date.parse(timestamp);
  // Go's zero time serialises as year 1; it means "unset" there too.
  return Number.isNaN(ms) || ms === GO_ZERO_TIME_MS ? undefined : ms;
}

/**
 * Exponential back-off per key, the arithmetic behind CrashLoopBackOff and ImagePullBackOff
 * (upstream's flowcontrol.Backoff as the kubelet uses it). Pure: entries are plain data kept in
 * the pod worker's context, and every function takes the time it should judge by.
 *
 * The first failure is retried at once and arms the base delay; each retry after a later
 * failure waits out the current delay measured from that failure and doubles it, up to max.
 * An entry not touched for 2 × max is forgotten, and (CrashLoopBackOff only) a container that
 * ran for resetMs before it exited starts over too.
 */
import { assert } from '../../base/assert.js';

/** BackoffPolicy: delays in milliseconds. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** BackoffEntry is one key's state: the delay now in force and when it was last raised. */
export interface BackoffEntry {
  delayMs: number;
  lastUpdateMs: number;
}

/** isExpired says whether an entry is too old to count for a failure at eventMs. */
function isExpired(entry: BackoffEntry, eventMs: number, policy: BackoffPolicy): boolean {
  return eventMs - entry.lastUpdateMs > 2 * policy.maxMs;
}

/**
 * backoffUntilMs returns when a retry of a failure that happened at eventMs may run, or
 * undefined when it may run now (no entry, expired entry, or the delay has passed).
 */
export function backoffUntilMs(
  entry: BackoffEntry | undefined,
  eventMs: number,
  nowMs: number,
  policy: BackoffPolicy,
): number | undefined {
  if (entry === undefined || isExpired(entry, eventMs, policy)) return undefined;
  const untilMs = eventMs + entry.delayMs;
  return nowMs < untilMs ? untilMs : undefined;
}

/** nextBackoff is the entry after a retry at nowMs of a failure that happened at eventMs. */
export function nextBackoff(
  entry: BackoffEntry | undefined,
  eventMs: number,
  nowMs: number,
  policy: BackoffPolicy,
): BackoffEntry {
  assert(policy.baseMs > 0 && policy.maxMs >= policy.baseMs, 'backoff: bad policy');
  if (entry === undefined || isExpired(entry, eventMs, policy)) {
    return { delayMs: policy.baseMs, lastUpdateMs: nowMs };
  }
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), lastUpdateMs: nowMs };
}

/** formatDelay renders a delay as upstream's messages do ("10s", "1m20s", "5m0s"). */
export function formatDelay(delayMs: number): string {
  const totalS = Math.round(delayMs / 1000);
  if (totalS < 60) return delayMs < 1000 ? `${delayMs}ms` : `${totalS}s`;
  return `${Math.floor(totalS / 60)}m${totalS % 60}s`;
}

/**
 * The pure half of a probe worker: thresholds and timing. A probe's result only flips after
 * successThreshold consecutive successes or failureThreshold consecutive failures, as upstream's
 * worker counts them; before the first flip a probe has its initial result (readiness: failure,
 * liveness: success, startup: unknown). Timing: the first run waits initialDelaySeconds after the
 * container started, then one run every periodSeconds.
 */
import type { Probe } from '../../api/core/v1/pod-types.js';

/** ProbeKind is which of a container's three probes. */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** ProbeResult is a probe's current verdict. */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** ProbeOutcome is one run's outcome. */
export type ProbeOutcome = 'success' | 'failure';

/** ProbeTimings are the probe's knobs, defaulted as the API defaults them. */
export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** probeTimings defaults a Probe: period 10 s, timeout 1 s, thresholds 1 and 3. */
export function probeTimings(p: Probe): ProbeTimings {
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds ?? 1) * 1000,
    successThreshold: Math.max(1, p.successThreshold ?? 1),
    failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

/** TrackerState is one probe's counters and verdict. */
export interface TrackerState {
  result: ProbeResult;
  successes: number;
  failures: number;
}

/** initialTracker is a probe before its first run. */
export function initialTracker(kind: ProbeKind): TrackerState {
  const result: ProbeResult = kind === 'readiness' ? 'failure'
    : kind === 'liveness' ? 'success'
    : 'unknown';
  return { result, successes: 0, failures: 0 };
}

/** recordOutcome counts one run and flips the verdict when a threshold is reached. */
export function recordOutcome(
  state: TrackerState,
  outcome: ProbeOutcome,
  timings: Pick<ProbeTimings, 'successThreshold' | 'failureThreshold'>,
): TrackerState {
  if (outcome === 'success') {
    const successes = state.successes + 1;
    const flip = successes >= timings.successThreshold;
    return { result: flip ? 'success' : state.result, successes, failures: 0 };
  }
  const failures = state.failures + 1;
  const flip = failures >= timings.failureThreshold;
  return { result: flip ? 'failure' : state.result, successes: 0, failures };
}

/** firstRunDelayMs is how long after nowMs the first run is due for a container that started
 *  at startedAtMs (both wall ms); 0 when the initial delay already passed. */
export function firstRunDelayMs(timings: ProbeTimings, startedAtMs: number, nowMs: number) {
  return Math.max(0, startedAtMs + timings.initialDelayMs - nowMs);
}

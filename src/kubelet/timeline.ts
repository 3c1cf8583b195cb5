/**
 * The pod startup timeline, a diagnostic: with K8TS_POD_TIMELINE=1 in its environment the
 * kubelet logs one line per step of a pod's start — seen on the watch, worker started, sync
 * begun, sandbox made, container created and started, status handed to the status manager, its
 * write sent and answered — each stamped with wall time in ms since the epoch (sub-ms, so stamps
 * of different processes on one machine line up). bench/nodes-suite.ts reads these lines to
 * split the node half of pod startup into stages. Off (the default) it costs one branch per step.
 */
import type { Pod } from '../api/core/v1/pod-types.js';

/** PodTrace stamps one step of a pod's start. */
export type PodTrace = (pod: Pod, stage: string) => void;

/** TIMELINE_ENV turns the timeline on ("1"). */
export const TIMELINE_ENV = 'K8TS_POD_TIMELINE';

/** TIMELINE_MARK starts every timeline line (what a reader greps for). */
export const TIMELINE_MARK = 'pod-timeline';

/**
 * podTimeline: a PodTrace writing timeline lines through log, or undefined when the environment
 * does not ask for it. nowMs is wall time in ms since the epoch, preferably with a fraction.
 */
export function podTimeline(env: NodeJS.ProcessEnv, nowMs: () => number,
  log: (line: string) => void): PodTrace | undefined {
  if (env[TIMELINE_ENV] !== '1') return undefined;
  return (pod, stage) => {
    const m = pod.metadata;
    log(`${TIMELINE_MARK} ${m.namespace ?? ''}/${m.name ?? ''} ${stage} ${nowMs().toFixed(3)}`);
  };
}

/** TimelineStamp is one parsed timeline line. */
export interface TimelineStamp {
  pod: string;
  stage: string;
  atMs: number;
}

/** parseTimeline reads the timeline lines out of a log's text (other lines are skipped). */
export function parseTimeline(text: string): TimelineStamp[] {
  const out: TimelineStamp[] = [];
  const re = new RegExp(`${TIMELINE_MARK} (\\S+) (\\S+) (\\d+(?:\\.\\d+)?)$`, 'gm');
  for (const m of text.matchAll(re)) {
    out.push({ pod: m[1] ?? '', stage: m[2] ?? '', atMs: Number(m[3]) });
  }
  return out;
}

/**
 * The Pod table: NAME READY STATUS RESTARTS AGE, and wide IP NODE NOMINATED-NODE READINESS-GATES.
 *
 * STATUS is the fiddly one: it is not status.phase but a summary of why the pod is where it is
 * (CrashLoopBackOff, Init:0/2, Completed, Terminating...), computed from init containers first,
 * then the app containers from last to first, exactly as kube-apiserver does, because users and
 * scripts read that word. Sidecars (init containers with restartPolicy Always) count as app
 * containers for READY and RESTARTS.
 */
import type { KubeObject } from '../meta.js';
import { humanDuration, parseTimestamp } from './human-duration.js';
import { DESCRIPTIONS } from './descriptions.js';
import {
  AGE_COLUMN, arr, column, int, NAME_COLUMN, nameOf, age, orNone, rec, spec, status, str, type Json,
} from './cells.js';
import type { Printer, RowCondition } from './types.js';

const COLUMNS = [
  NAME_COLUMN,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column('Restarts', 'string', 'The number of times the containers in this pod have been ' +
    'restarted and when the last container in this pod has restarted.'),
  AGE_COLUMN,
  column('IP', 'string', DESCRIPTIONS.podIP, { priority: 1 }),
  column('Node', 'string', DESCRIPTIONS.nodeName, { priority: 1 }),
  column('Nominated Node', 'string', DESCRIPTIONS.nominatedNodeName, { priority: 1 }),
  column('Readiness Gates', 'string', DESCRIPTIONS.readinessGates, { priority: 1 }),
];

/** The reason the node lifecycle controller sets on pods of an unreachable node. */
const NODE_LOST = 'NodeLost';

/** Summary is what STATUS, READY and RESTARTS are computed into. */
interface Summary {
  reason: string;
  ready: number;
  total: number;
  restarts: number;
  /** Latest lastState.terminated.finishedAt among counted containers; undefined when unknown. */
  lastRestartMs: number | undefined;
}

/** podPrinter renders Pods. */
export const podPrinter: Printer = {
  columns: COLUMNS,
  cells(pod: KubeObject, nowMs: number) {
    const s = summarize(pod);
    const restarts = s.restarts !== 0 && s.lastRestartMs !== undefined
      ? `${s.restarts} (${humanDuration(nowMs - s.lastRestartMs)} ago)`
      : String(s.restarts);
    return [nameOf(pod), `${s.ready}/${s.total}`, s.reason, restarts, age(pod, nowMs),
      ...wideCells(pod)];
  },
  conditions(pod: KubeObject): RowCondition[] {
    const phase = str(status(pod).phase);
    if (phase === 'Succeeded') {
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded',
        message: 'The pod has completed successfully.' }];
    }
    if (phase === 'Failed') {
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    }
    return [];
  },
};

function wideCells(pod: KubeObject): string[] {
  const st = status(pod);
  const ip = str(rec(arr(st.podIPs)[0]).ip);
  const gates = arr(spec(pod).readinessGates).map(rec);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const conditions = arr(st.conditions).map(rec);
    const trueCount = gates.filter((g) => {
      const c = conditions.find((x) => str(x.type) === str(g.conditionType));
      return c !== undefined && str(c.status) === 'True';
    }).length;
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return [orNone(ip), orNone(str(spec(pod).nodeName)), orNone(str(st.nominatedNodeName)),
    readinessGates];
}

/** summarize computes STATUS, READY and RESTARTS (upstream printPod). */
export function summarize(pod: KubeObject): Summary {
  const sp = spec(pod);
  const st = status(pod);
  const phase = str(st.phase);
  let reason = str(st.reason) || phase;
  for (const c of arr(st.conditions).map(rec)) {
    if (str(c.type) === 'PodScheduled' && str(c.reason) === 'SchedulingGated') {
      reason = 'SchedulingGated';
    }
  }
  const initSpecs = arr(sp.initContainers).map(rec);
  const sidecars = new Set(initSpecs.filter(isSidecar).map((c) => str(c.name)));
  const s: Summary = {
    reason, ready: 0, total: arr(sp.containers).length + sidecars.size, restarts: 0,
    lastRestartMs: undefined,
  };
  const init = initContainerPass(pod, sidecars, s);
  if (!init.initializing || conditionTrue(st, 'Initialized')) {
    s.restarts = init.sidecarRestarts;
    s.lastRestartMs = init.sidecarLastRestartMs;
    containerPass(st, s);
  }
  const deleting = pod.metadata?.deletionTimestamp !== undefined &&
    pod.metadata.deletionTimestamp !== null;
  if (deleting && str(st.reason) === NODE_LOST) s.reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') s.reason = 'Terminating';
  return s;
}

function isSidecar(c: Json): boolean {
  return str(c.restartPolicy) === 'Always';
}

interface InitResult {
  initializing: boolean;
  sidecarRestarts: number;
  sidecarLastRestartMs: number | undefined;
}

/** initContainerPass: the first init container that has not succeeded decides "Init:..." */
function initContainerPass(pod: KubeObject, sidecars: ReadonlySet<string>, s: Summary): InitResult {
  const statuses = arr(status(pod).initContainerStatuses).map(rec);
  const initCount = arr(spec(pod).initContainers).length;
  const out: InitResult = {
    initializing: false, sidecarRestarts: 0, sidecarLastRestartMs: undefined,
  };
  for (const [i, c] of statuses.entries()) {
    const sidecar = sidecars.has(str(c.name));
    s.restarts += int(c.restartCount);
    s.lastRestartMs = later(s.lastRestartMs, lastFinishedMs(c));
    if (sidecar) {
      out.sidecarRestarts += int(c.restartCount);
      out.sidecarLastRestartMs = later(out.sidecarLastRestartMs, lastFinishedMs(c));
    }
    const state = rec(c.state);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    const waitingReason = str(rec(state.waiting).reason);
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) s.ready++;
      continue;
    }
    out.initializing = true;
    if (terminated) s.reason = `Init:${terminatedReason(terminated)}`;
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') {
      s.reason = `Init:${waitingReason}`;
    } else s.reason = `Init:${i}/${initCount}`;
    break;
  }
  return out;
}

/** containerPass walks app containers last to first; the first listed container wins ties. */
function containerPass(st: Json, s: Summary): void {
  let hasRunning = false;
  let errorReason = '';
  const statuses = arr(st.containerStatuses).map(rec);
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i] ?? {};
    s.restarts += int(c.restartCount);
    s.lastRestartMs = later(s.lastRestartMs, lastFinishedMs(c));
    const state = rec(c.state);
    const waitingReason = str(rec(state.waiting).reason);
    if (waitingReason !== '') {
      s.reason = waitingReason;
    } else if (state.terminated !== undefined) {
      const t = rec(state.terminated);
      s.reason = terminatedReason(t);
      if (int(t.exitCode) !== 0) errorReason = s.reason;
    } else if (c.ready === true && state.running !== undefined) {
      hasRunning = true;
      s.ready++;
    }
  }
  if (s.reason !== 'Completed') return;
  if (hasRunning && conditionTrue(st, 'Ready')) s.reason = 'Running';
  else if (errorReason !== '') s.reason = errorReason;
  else if (hasRunning) s.reason = 'NotReady';
}

/** terminatedReason: the runtime's reason, else "Signal:N", else "ExitCode:N". */
function terminatedReason(t: Json): string {
  const reason = str(t.reason);
  if (reason !== '') return reason;
  const signal = int(t.signal);
  return signal !== 0 ? `Signal:${signal}` : `ExitCode:${int(t.exitCode)}`;
}

function lastFinishedMs(c: Json): number | undefined {
  const terminated = rec(c.lastState).terminated;
  return terminated === undefined ? undefined : parseTimestamp(rec(terminated).finishedAt);
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function conditionTrue(st: Json, type: string): boolean {
  return arr(st.conditions).map(rec).some((c) => str(c.type) === type && str(c.status) === 'True');
}

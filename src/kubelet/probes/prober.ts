/**
 * The prober shell of one pod: a worker per (container instance, probe kind) that runs the
 * probe on the injected clock and reports only verdict changes, as upstream's prober manager
 * does. Liveness and readiness wait until the startup probe (if any) succeeded; the startup
 * probe stops once it succeeded; a liveness or startup failure puts the worker on hold — the
 * container is going to be killed, and its next instance gets fresh workers. Each worker has at
 * most one run in flight, and every run is bounded by the probe's timeout.
 */
import type { Container, Probe } from '../../api/core/v1/pod-types.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { CriRuntime } from '../cri/types.js';
import { runHandler } from './handlers.js';
import {
  firstRunDelayMs,
  initialTracker,
  probeTimings,
  recordOutcome,
  type ProbeKind,
  type ProbeResult,
  type ProbeTimings,
  type TrackerState,
} from './tracker.js';

/** ProbedContainer is a running container instance the prober should watch. */
export interface ProbedContainer {
  id: string;
  spec: Container;
  /** Wall ms the instance started (initialDelaySeconds counts from here). */
  startedAtMs: number;
}

/** ProbeChange is a verdict change the pod worker acts on. */
export interface ProbeChange {
  containerId: string;
  name: string;
  kind: ProbeKind;
  result: ProbeResult;
}

/** ProberDeps: the runtime for exec probes, time, and where results and failures go. */
export interface ProberDeps {
  cri: CriRuntime;
  clock: Clock;
  wallMs(): number;
  onChange(change: ProbeChange): void;
  /** One failed run (for the Unhealthy event), whether or not the verdict flipped. */
  onFailure?(name: string, kind: ProbeKind, output: string): void;
}

/** KINDS lists probes in the order they gate each other. */
const KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/** probeOf picks a container's probe of one kind. */
function probeOf(c: Container, kind: ProbeKind): Probe | undefined {
  return kind === 'startup' ? c.startupProbe
    : kind === 'liveness' ? c.livenessProbe
    : c.readinessProbe;
}

/** One probe of one container instance. */
interface Worker {
  target: ProbedContainer;
  kind: ProbeKind;
  probe: Probe;
  timings: ProbeTimings;
  tracker: TrackerState;
  timer: Timer | undefined;
  inFlight: boolean;
  stopped: boolean;
}

/** PodProber owns the probe workers of one pod. */
export class PodProber {
  private readonly workers = new Map<string, Worker>();
  private podIp = '';

  constructor(private readonly deps: ProberDeps) {}

  /** update makes the workers match the running instances (new ones start, gone ones stop). */
  update(podIp: string, running: readonly ProbedContainer[]): void {
    this.podIp = podIp;
    const wanted = new Set<string>();
    for (const target of running) {
      for (const kind of KINDS) {
        const probe = probeOf(target.spec, kind);
        if (probe === undefined) continue;
        const key = `${target.id}/${kind}`;
        wanted.add(key);
        if (!this.workers.has(key)) this.startWorker(key, target, kind, probe);
      }
    }
    for (const [key, w] of this.workers) {
      if (!wanted.has(key)) this.stopWorker(key, w);
    }
  }

  /** stop ends every worker (pod terminating). */
  stop(): void {
    for (const [key, w] of this.workers) this.stopWorker(key, w);
  }

  /** startWorker schedules a worker's first run. */
  private startWorker(key: string, target: ProbedContainer, kind: ProbeKind, probe: Probe) {
    const timings = probeTimings(probe);
    const w: Worker = {
      target, kind, probe, timings,
      tracker: initialTracker(kind),
      timer: undefined,
      inFlight: false,
      stopped: false,
    };
    this.workers.set(key, w);
    this.schedule(w, firstRunDelayMs(timings, target.startedAtMs, this.deps.wallMs()));
  }

  /** stopWorker cancels a worker's timer; a run in flight finishes and is ignored. */
  private stopWorker(key: string, w: Worker): void {
    w.stopped = true;
    w.timer?.cancel();
    this.workers.delete(key);
  }

  /** schedule arms the worker's next run. */
  private schedule(w: Worker, delayMs: number): void {
    if (w.stopped) return;
    w.timer = this.deps.clock.setTimeout(() => void this.run(w), delayMs);
  }

  /** gatedByStartup: liveness and readiness wait for the startup probe to succeed. */
  private gatedByStartup(w: Worker): boolean {
    if (w.kind === 'startup') return false;
    const startup = this.workers.get(`${w.target.id}/startup`);
    return startup !== undefined && startup.tracker.result !== 'success';
  }

  /** run does one probe run and reschedules. */
  private async run(w: Worker): Promise<void> {
    if (w.stopped || w.inFlight) return;
    if (this.gatedByStartup(w)) {
      this.schedule(w, w.timings.periodMs);
      return;
    }
    w.inFlight = true;
    const outcome = await runHandler(w.probe, {
      cri: this.deps.cri,
      clock: this.deps.clock,
      containerId: w.target.id,
      container: w.target.spec,
      podIp: this.podIp,
    }, w.timings.timeoutMs).catch((err: unknown) => ({ ok: false, output: String(err) }));
    w.inFlight = false;
    if (w.stopped) return;
    this.record(w, outcome.ok, outcome.output);
  }

  /** record applies one outcome: events, verdict changes, hold or next run. */
  private record(w: Worker, ok: boolean, output: string): void {
    const before = w.tracker.result;
    w.tracker = recordOutcome(w.tracker, ok ? 'success' : 'failure', w.timings);
    if (!ok) this.deps.onFailure?.(w.target.spec.name, w.kind, output);
    if (w.tracker.result !== before) {
      this.deps.onChange({
        containerId: w.target.id,
        name: w.target.spec.name,
        kind: w.kind,
        result: w.tracker.result,
      });
    }
    const done = w.kind === 'startup' && w.tracker.result === 'success';
    const onHold = w.kind !== 'readiness' && w.tracker.result === 'failure';
    if (!done && !onHold) this.schedule(w, w.timings.periodMs);
  }
}

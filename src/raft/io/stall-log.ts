/**
 * StallLog puts a member's event-loop stalls and long GC pauses in its own log, always on: the
 * hollow runs lost their store leader to members that went silent for 8-13 s, and nothing in the
 * logs said whether a member computed (process CPU ≈ wall), waited for a core on a starved
 * machine (CPU ≪ wall), paused in GC, or which driver turn ran long and what it did.
 *
 * A probe timer every probeMs notices its own lateness; a late probe of at least minStallMs is a
 * stall. The member reports each driver turn (noteTurn) with what it did (DriverWork), so the
 * stall line names the longest turn inside the stall. Lines are rate-limited: at most one per
 * minIntervalMs, the suppressed ones counted in the next line. The clock and the CPU meter are
 * injected (the watch itself is pure over them); `watchStalls` wires the real timer and GC
 * observer.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { Clock, Timer } from '../../base/clock.js';
import type { DriverWork } from '../node.js';

/** StallLogLimits: what counts as a stall or a long GC, and how often a line may be written. */
export interface StallLogLimits {
  probeMs: number;
  minStallMs: number;
  minGcMs: number;
  minIntervalMs: number;
}

export const DEFAULT_STALL_LIMITS: StallLogLimits = {
  probeMs: 50, minStallMs: 250, minGcMs: 100, minIntervalMs: 1_000,
};

/** TurnKind: a driver turn (process), a leader's deferred write, or a tick (snapshot steps). */
export type TurnKind = 'turn' | 'write' | 'tick';

interface Turn {
  kind: TurnKind;
  wallMs: number;
  work: DriverWork;
}

export class StallWatch {
  private lastProbeMs: number;
  private lastCpuMs: number;
  private lastLineMs = -Infinity;
  private suppressed = 0;
  /** Driver time and turns since the last probe, and the longest turn among them. */
  private busyMs = 0;
  private turns = 0;
  private longest: Turn | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly cpuMs: () => number,
    private readonly log: (line: string) => void,
    private readonly limits: StallLogLimits = DEFAULT_STALL_LIMITS,
  ) {
    this.lastProbeMs = clock.nowMs();
    this.lastCpuMs = cpuMs();
  }

  /** noteTurn records one driver turn that took wallMs and did `work` (copied when longest). */
  noteTurn(kind: TurnKind, wallMs: number, work: DriverWork): void {
    this.busyMs += wallMs;
    this.turns++;
    if (this.longest !== undefined && this.longest.wallMs >= wallMs) return;
    this.longest = { kind, wallMs, work: { ...work } };
  }

  /** probe runs every probeMs: a late one means the loop was blocked for the difference. */
  probe(): void {
    const now = this.clock.nowMs();
    const cpu = this.cpuMs();
    const blockedMs = now - this.lastProbeMs - this.limits.probeMs;
    const cpuMs = cpu - this.lastCpuMs;
    if (blockedMs >= this.limits.minStallMs) {
      const computing = cpuMs >= 0.7 * (blockedMs + this.limits.probeMs);
      const verdict = computing ? 'computing' : 'starved or waiting';
      this.emit(now, `event loop blocked ${ms(blockedMs)} ms ` +
        `(process CPU ${ms(cpuMs)} ms: ${verdict}); ${this.turnsText()}`);
    }
    this.lastProbeMs = now;
    this.lastCpuMs = cpu;
    this.busyMs = 0;
    this.turns = 0;
    this.longest = undefined;
  }

  /** gc reports one GC pause (kind as V8 names it). */
  gc(kind: string, pauseMs: number): void {
    if (pauseMs < this.limits.minGcMs) return;
    this.emit(this.clock.nowMs(), `GC pause ${ms(pauseMs)} ms (${kind})`);
  }

  private turnsText(): string {
    const t = this.longest;
    if (t === undefined) return 'no driver turn ran in it';
    return `driver ${ms(this.busyMs)} ms in ${this.turns} turns, longest ${ms(t.wallMs)} ms ` +
      `(${t.kind}: ${describeWork(t.work)})`;
  }

  private emit(now: number, line: string): void {
    if (now - this.lastLineMs < this.limits.minIntervalMs) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` [${this.suppressed} more stall/GC lines not shown]` : '';
    this.lastLineMs = now;
    this.suppressed = 0;
    this.log(line + more);
  }
}

/** describeWork is one turn's work in a few words: what a reader needs to see why it ran long. */
export function describeWork(w: DriverWork): string {
  const kib = (b: number): string => `${Math.round(b / 1024)} KiB`;
  const parts = [`${w.readies} readies`];
  if (w.persistedEntries > 0 || w.persistMs > 0) {
    const took = `${kib(w.persistedBytes)}, ${ms(w.persistMs)} ms`;
    parts.push(`${w.persistedEntries} entries persisted (${took})`);
  }
  if (w.sentMessages > 0) {
    const sent = `${w.sentEntries} entries (${kib(w.sentBytes)})`;
    parts.push(`${w.sentMessages} messages out with ${sent}`);
  }
  if (w.applied > 0) parts.push(`${w.applied} applied (${kib(w.appliedBytes)})`);
  if (w.proposed > 0) parts.push(`${w.proposed} proposed`);
  if (w.snapshotSteps > 0) parts.push(`${w.snapshotSteps} snapshot steps`);
  return parts.join(', ');
}

const ms = (x: number): string => x.toFixed(0);

/** GC kinds as Node's perf_hooks report them. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

/** processCpuMs is this process's CPU time (user + system, all threads) in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** watchStalls starts the probe timer and the GC observer; the returned function stops both. */
export function watchStalls(
  w: StallWatch, clock: Clock, probeMs = DEFAULT_STALL_LIMITS.probeMs,
): () => void {
  const timer: Timer = clock.setInterval(() => w.probe(), probeMs);
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      w.gc(GC_KINDS[kind] ?? `kind ${kind}`, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return () => {
    timer.cancel();
    obs.disconnect();
  };
}

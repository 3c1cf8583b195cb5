/**
 * The node half of pod startup split into stages, from the kubelets' timeline lines
 * (src/kubelet/timeline.ts, on with K8TS_POD_TIMELINE=1) and the bench's own watch: per pod the
 * first stamp of each stage, then the percentiles of each step between consecutive stages:
 *
 *   bound (bench watch) → seen (kubelet watch) → worker → sync → sandbox → created → started →
 *   reported (status handed to the status manager) → write (sent) → written (answered) →
 *   running (bench watch)
 *
 * All stamps are wall ms since the epoch (sub-ms) taken on one machine, so they line up.
 */
import { readFileSync } from 'node:fs';
import { parseTimeline } from '../../src/kubelet/timeline.js';
import { ms, summarize } from './stats.js';

/** KUBELET_STAGES in their order; a kubelet stage with a phase suffix counts only for Running. */
const KUBELET_STAGES = ['seen', 'worker', 'sync', 'sandbox', 'created', 'started',
  'reported:Running', 'write:Running', 'written:Running'];

/** BenchStamps: what the bench's watch saw, per pod name, in epoch ms. */
export interface BenchStamps {
  bound: ReadonlyMap<string, number>;
  running: ReadonlyMap<string, number>;
}

/** timelineEnabled: the kubelets of a cluster started from this process log a timeline. */
export function timelineEnabled(): boolean {
  return process.env.K8TS_POD_TIMELINE === '1';
}

/**
 * stageLines: one line per step with p50 / p99 / max over the burst's pods (ms), from the
 * kubelet logs given and the bench's stamps; pods are "<namespace>/<name>" in the logs.
 */
export function stageLines(logFiles: readonly string[], ns: string, bench: BenchStamps): string[] {
  const first = new Map<string, Map<string, number>>();
  for (const f of logFiles) {
    for (const s of parseTimeline(readText(f))) {
      const name = s.pod.startsWith(`${ns}/`) ? s.pod.slice(ns.length + 1) : undefined;
      if (name === undefined || !bench.bound.has(name)) continue;
      const stages = first.get(name) ?? new Map<string, number>();
      if (!stages.has(s.stage)) stages.set(s.stage, s.atMs);
      first.set(name, stages);
    }
  }
  const order = ['bound', ...KUBELET_STAGES, 'running'];
  const at = (name: string, stage: string): number | undefined =>
    stage === 'bound' ? bench.bound.get(name)
      : stage === 'running' ? bench.running.get(name) : first.get(name)?.get(stage);
  const lines: string[] = [];
  for (let i = 1; i < order.length; i++) {
    const [from, to] = [order[i - 1] ?? '', order[i] ?? ''];
    const xs: number[] = [];
    const since: number[] = [];
    for (const [name, bound] of bench.bound) {
      const a = at(name, from);
      const b = at(name, to);
      if (a !== undefined && b !== undefined) xs.push(b - a);
      if (b !== undefined) since.push(b - bound);
    }
    const s = summarize(xs);
    const c = summarize(since);
    lines.push(`  ${from} → ${to}: p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)} ` +
      `(${s.count} pods); since bound p50 ${ms(c.p50)}, p99 ${ms(c.p99)}`);
  }
  return lines;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

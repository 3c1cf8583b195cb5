/**
 * Completion indexes of Indexed Jobs: the batch.kubernetes.io/job-completion-index a pod carries,
 * and status.completedIndexes in its compressed form ("1,3-5,7"), parsed into and printed from a
 * sorted set. Pure.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';

/** COMPLETION_INDEX_KEY: the annotation (and, since 1.28, label) naming a pod's index. */
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';

/** INDEXES_MAX bounds the indexes a Job may have (upstream's completions limit for Indexed). */
export const INDEXES_MAX = 100_000;

/** completionIndex: the pod's index, or undefined when missing or malformed. */
export function completionIndex(pod: Pod): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX_KEY]
    ?? pod.metadata.labels?.[COMPLETION_INDEX_KEY];
  if (raw === undefined || !/^(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  const n = Number(raw);
  return n < INDEXES_MAX ? n : undefined;
}

/** parseIndexes reads "1,3-5" (malformed parts are skipped: the status is ours to rewrite). */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part.trim());
    if (m === null) continue;
    const from = Number(m[1]);
    const to = Math.min(Number(m[2] ?? m[1]), completions - 1);
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/** formatIndexes prints a set as "0,2-4" (runs of 2 or more as ranges, as upstream). */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** missingIndexes: up to `count` lowest indexes below completions neither done nor taken. */
export function missingIndexes(completions: number, done: ReadonlySet<number>,
  taken: ReadonlySet<number>, count: number): number[] {
  assert(completions <= INDEXES_MAX, `missingIndexes: ${completions} completions`);
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) {
    if (!done.has(i) && !taken.has(i)) out.push(i);
  }
  return out;
}

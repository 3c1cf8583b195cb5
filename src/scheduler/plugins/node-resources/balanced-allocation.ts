/**
 * NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in similar
 * proportions after placing the pod, so neither runs out while the other sits idle. Score =
 * (1 - standard deviation of the used fractions) × MAX_NODE_SCORE, on actual requests.
 */
import type { Plugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../../framework/interfaces.js';

/** BALANCED_ALLOCATION is the plugin's name. */
export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** balancedScore scores used fractions of cpu and memory (a capacity of 0 is left out). */
export function balancedScore(requested: readonly number[], allocatable: readonly number[]):
  number {
  const fractions: number[] = [];
  for (let i = 0; i < requested.length; i++) {
    const cap = allocatable[i] ?? 0;
    if (cap === 0) continue;
    fractions.push(Math.min((requested[i] ?? 0) / cap, 1));
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    const sq = fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0);
    std = Math.sqrt(sq / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** balancedAllocationPlugin builds the plugin (score only: it never rejects). Its score is
 *  balancedScore for cpu and memory, inlined: it runs for every feasible node. */
export function balancedAllocationPlugin(): Plugin {
  return {
    name: BALANCED_ALLOCATION,
    events: [],
    score: (_s, pod, node) => {
      const a = node.allocatable;
      if (a.milliCpu === 0 || a.memory === 0) return MAX_NODE_SCORE; // one fraction: std 0
      const cpu = Math.min((node.requested.milliCpu + pod.requests.milliCpu) / a.milliCpu, 1);
      const mem = Math.min((node.requested.memory + pod.requests.memory) / a.memory, 1);
      return Math.trunc((1 - Math.abs(cpu - mem) / 2) * MAX_NODE_SCORE);
    },
  };
}

/**
 * How many feasible nodes a cycle looks for before it stops filtering (upstream's
 * numFeasibleNodesToFind). Scoring every node of a large cluster buys little placement quality
 * for a lot of time; upstream's adaptive default scores 50% of the nodes minus 1% per 125 nodes,
 * never under 5% and never under 100 nodes.
 */
import { assert } from '../../base/assert.js';

/** MIN_FEASIBLE_NODES_TO_FIND: below this many nodes every node is checked. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** MIN_FEASIBLE_NODES_PERCENTAGE: the adaptive percentage's floor. */
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/**
 * numFeasibleNodesToFind: for numAllNodes nodes and a configured percentage (0 or undefined =
 * adaptive, 1..100 = fixed).
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  assert(percentage >= 0 && percentage <= 100, `percentageOfNodesToScore ${percentage}`);
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct === 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE) pct = MIN_FEASIBLE_NODES_PERCENTAGE;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

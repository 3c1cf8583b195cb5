/**
 * The scheduler framework's extension points (upstream's framework.Plugin and friends). A
 * plugin is pure over the snapshot: it reads the pod's precomputed PodInfo and NodeInfos and
 * returns statuses and scores; only the scheduler shell writes (assume, bind, status patches).
 *
 * Order of a cycle: PreFilter (once per pod: precompute, or Skip) → Filter (per node, until
 * enough feasible nodes) → PostFilter (only when no node fits) → PreScore (once, over the
 * feasible nodes, or Skip) → Score (per feasible node, 0..MAX_NODE_SCORE) → NormalizeScore
 * (once, over all the plugin's scores) → weighted sum → the best node.
 */
import type { NodeInfo } from '../snapshot/node-info.js';
import type { PodInfo } from '../snapshot/pod-info.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { CycleState } from './cycle-state.js';
import type { ClusterEvent } from './events.js';
import type { MaybeStatus } from './status.js';

/** MAX_NODE_SCORE: the top of every plugin's (normalized) score range. */
export const MAX_NODE_SCORE = 100;

/** Plugin: a name, the events that can undo its rejections, and the points it extends. */
export interface Plugin {
  readonly name: string;
  /** events: cluster events after which a pod this plugin rejected may fit (queue moves). */
  readonly events: readonly ClusterEvent[];
  /** preFilter: once per pod before filtering; Skip = this plugin's filter is not needed;
   *  a rejection rejects the pod on every node. */
  preFilter?(state: CycleState, pod: PodInfo, snap: Snapshot): MaybeStatus;
  /** filter: can the pod run on this node? null = yes. Must be cheap: runs per node. */
  filter?(state: CycleState, pod: PodInfo, node: NodeInfo): MaybeStatus;
  /** postFilter: only when no node fits (upstream's preemption lives here; k8ts has none). A
   *  non-null status's message is added to the FailedScheduling summary. */
  postFilter?(state: CycleState, pod: PodInfo, snap: Snapshot): MaybeStatus;
  /** preScore: once over the feasible nodes; Skip = this plugin's score is not needed. */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot):
    MaybeStatus;
  /** score: a raw score for one feasible node. */
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** normalizeScore rewrites the raw scores (same order as nodes) into 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]):
    void;
}

/** PluginEntry: a plugin in a profile, with its score weight (ignored if it does not score). */
export interface PluginEntry {
  readonly plugin: Plugin;
  readonly weight: number;
}

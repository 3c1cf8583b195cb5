/**
 * The scheduling cycle for one pod (upstream's schedulePod): PreFilter, Filter over a rotating
 * window of nodes until enough feasible ones are found, PostFilter when none is, PreScore, Score,
 * NormalizeScore, weighted sum, and the best node with ties broken by the seeded PRNG. Pure over
 * the snapshot: the caller assumes and binds.
 */
import type { Prng } from '../../base/prng.js';
import type { NodeInfo } from '../snapshot/node-info.js';
import type { PodInfo } from '../snapshot/pod-info.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { CycleState } from './cycle-state.js';
import { fitErrorMessage, newDiagnosis, NO_NODES_MESSAGE, type Diagnosis } from './fit-error.js';
import type { Plugin } from './interfaces.js';
import { numFeasibleNodesToFind } from './num-feasible.js';
import type { Profile } from './profile.js';
import { Code, type MaybeStatus, type Status } from './status.js';

/** CycleOptions: where the node window starts, how much of it to find feasible, the PRNG. */
export interface CycleOptions {
  /** startIndex: first node of the window (the previous cycle's nextStartIndex). */
  startIndex: number;
  /** percentageOfNodesToScore: 0/undefined = adaptive (see num-feasible.ts). */
  percentageOfNodesToScore?: number;
  prng: Prng;
}

/** CycleOutcome: a node, a rejection with its summary, or an internal error. */
export type CycleOutcome =
  | { kind: 'fit'; nodeName: string; evaluatedNodes: number; feasibleNodes: number;
    nextStartIndex: number }
  | { kind: 'unschedulable'; message: string; plugins: ReadonlySet<string>;
    nextStartIndex: number }
  | { kind: 'error'; message: string; plugin: string; nextStartIndex: number };

/** runCycle schedules one pod on the snapshot; it changes nothing. */
export function runCycle(p: Profile, snap: Snapshot, pod: PodInfo, o: CycleOptions): CycleOutcome {
  const n = snap.numNodes();
  const start = n === 0 ? 0 : o.startIndex % n;
  if (n === 0) {
    return { kind: 'unschedulable', message: NO_NODES_MESSAGE, plugins: new Set(),
      nextStartIndex: 0 };
  }
  const state = new CycleState();
  const pre = runPreFilters(p, state, pod, snap);
  if (pre.status !== null) return rejected(p, state, pod, snap, pre.status, start);
  const toFind = numFeasibleNodesToFind(n, o.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  // Rejections by window position; turned into a Diagnosis only if no node fits (cheaper than
  // a map write per rejected node on the common path, where some node does fit).
  let rejections: Status[] | undefined;
  let processed = 0;
  for (; processed < n && feasible.length < toFind; processed++) {
    const ni = snap.nodeList[(start + processed) % n];
    if (ni === undefined) continue;
    const st = runFilters(pre.filters, state, pod, ni);
    if (st === null) {
      feasible.push(ni);
    } else if (st.code === Code.Error) {
      return { kind: 'error', message: st.message(), plugin: st.plugin, nextStartIndex: start };
    } else {
      rejections ??= new Array<Status>(n);
      rejections[processed] = st;
    }
  }
  const nextStartIndex = (start + processed) % n;
  if (feasible.length === 0) {
    const diag = diagnose(snap, start, rejections ?? []);
    return noFit(p, state, pod, snap, diag, nextStartIndex);
  }
  const best = feasible.length === 1 ? feasible[0] : selectHost(p, state, pod, feasible, snap, o);
  if (best === undefined || typeof best === 'string') {
    return { kind: 'error', message: best ?? 'no host selected', plugin: '', nextStartIndex };
  }
  return { kind: 'fit', nodeName: best.name, evaluatedNodes: processed,
    feasibleNodes: feasible.length, nextStartIndex };
}

/** diagnose turns window-ordered rejections into a Diagnosis. */
function diagnose(snap: Snapshot, start: number, rejections: readonly (Status | undefined)[]):
  Diagnosis {
  const diag = newDiagnosis();
  const n = snap.numNodes();
  for (let i = 0; i < rejections.length; i++) {
    const st = rejections[i];
    const ni = snap.nodeList[(start + i) % n];
    if (st === undefined || ni === undefined) continue;
    diag.nodeStatuses.set(ni.name, st);
    diag.unschedulablePlugins.add(st.plugin);
  }
  return diag;
}

interface PreFilterResult {
  status: MaybeStatus;
  /** filters: the filter plugins to run (those whose PreFilter did not Skip). */
  filters: Plugin[];
}

function runPreFilters(p: Profile, state: CycleState, pod: PodInfo, snap: Snapshot):
  PreFilterResult {
  const skipped = new Set<string>();
  for (const pl of p.preFilters) {
    const st = pl.preFilter?.(state, pod, snap) ?? null;
    if (st === null) continue;
    if (st.code === Code.Skip) skipped.add(pl.name);
    else return { status: st, filters: [] };
  }
  const filters = skipped.size === 0
    ? [...p.filters]
    : p.filters.filter((f) => !skipped.has(f.name));
  return { status: null, filters };
}

/** runFilters: the first non-success status of the filters on one node (upstream stops at the
 *  first rejection, so a node's reasons come from one plugin). */
function runFilters(filters: readonly Plugin[], state: CycleState, pod: PodInfo, ni: NodeInfo):
  MaybeStatus {
  for (let i = 0; i < filters.length; i++) {
    const st = filters[i]!.filter!(state, pod, ni);
    if (st !== null) return st;
  }
  return null;
}

function rejected(p: Profile, state: CycleState, pod: PodInfo, snap: Snapshot, st: Status,
  start: number): CycleOutcome {
  if (st.code === Code.Error) {
    return { kind: 'error', message: st.message(), plugin: st.plugin, nextStartIndex: start };
  }
  const diag = newDiagnosis();
  diag.preFilterMsg = st.message();
  diag.unschedulablePlugins.add(st.plugin);
  return noFit(p, state, pod, snap, diag, start);
}

function noFit(p: Profile, state: CycleState, pod: PodInfo, snap: Snapshot, diag: Diagnosis,
  nextStartIndex: number): CycleOutcome {
  for (const pl of p.postFilters) {
    const st = pl.postFilter?.(state, pod, snap) ?? null;
    if (st !== null && st.message() !== '') {
      diag.postFilterMsg = st.message();
      break;
    }
  }
  return { kind: 'unschedulable', message: fitErrorMessage(snap.numNodes(), diag),
    plugins: diag.unschedulablePlugins, nextStartIndex };
}

/** selectHost scores the feasible nodes and returns the best one, or an error message. */
function selectHost(p: Profile, state: CycleState, pod: PodInfo, nodes: NodeInfo[],
  snap: Snapshot, o: CycleOptions): NodeInfo | string {
  const totals = new Float64Array(nodes.length);
  const scores = new Array<number>(nodes.length).fill(0);
  for (const { plugin, weight } of p.scorers) {
    const st = plugin.preScore?.(state, pod, nodes, snap) ?? null;
    if (st !== null && st.code === Code.Skip) continue;
    if (st !== null) return `${plugin.name}: ${st.message()}`;
    for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score!(state, pod, nodes[i]!);
    plugin.normalizeScore?.(state, pod, nodes, scores);
    for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]! * weight;
  }
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) {
      ties++;
      if (o.prng.int(ties) === 0) best = i;
    }
  }
  return nodes[best]!;
}

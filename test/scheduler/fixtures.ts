/**
 * Test fixtures for the scheduler: Nodes and Pods in a few lines, and a snapshot holding them.
 */
import type { Node, Taint } from '../../src/api/core/v1/cluster-kinds.js';
import type { Container, Pod, PodSpec } from '../../src/api/core/v1/pod-types.js';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import type { Plugin } from '../../src/scheduler/framework/interfaces.js';
import { Code, type MaybeStatus } from '../../src/scheduler/framework/status.js';
import { PodInfo } from '../../src/scheduler/snapshot/pod-info.js';
import { Snapshot } from '../../src/scheduler/snapshot/snapshot.js';

/** NodeSpecLite: what tests vary on a node. */
export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

/** node builds a Node (default allocatable: 4 cpu, 8Gi, 110 pods; hostname label). */
export function node(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}),
      ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110',
        ...(o.extra ?? {}) },
    },
  };
}

/** PodOpts: what tests vary on a pod. */
export interface PodOpts {
  ns?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  spec?: Partial<PodSpec>;
  containers?: Container[];
}

/** pod builds a Pod with one container requesting o.cpu / o.memory. */
export function pod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu !== undefined) requests.cpu = o.cpu;
  if (o.memory !== undefined) requests.memory = o.memory;
  const containers = o.containers ??
    [{ name: 'c', image: 'x', resources: Object.keys(requests).length ? { requests } : {} }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`,
      ...(o.labels ? { labels: o.labels } : {}) },
    spec: { containers, ...(o.nodeName ? { nodeName: o.nodeName } : {}), ...(o.spec ?? {}) },
  };
}

/** snapshotOf builds a snapshot of nodes and placed pods (pods must carry nodeName). */
export function snapshotOf(nodes: Node[], placed: Pod[] = []): Snapshot {
  const s = new Snapshot();
  for (const n of nodes) s.setNode(n);
  for (const p of placed) s.addPod(new PodInfo(p), p.spec?.nodeName ?? '');
  return s;
}

/** FilterRun: each node's filter status after the plugin's PreFilter ('skip' if skipped). */
export function runFilter(pl: Plugin, snap: Snapshot, p: Pod):
  Map<string, MaybeStatus> | 'skip' {
  const info = new PodInfo(p);
  const state = new CycleState();
  const pre = pl.preFilter?.(state, info, snap) ?? null;
  if (pre?.code === Code.Skip) return 'skip';
  const out = new Map<string, MaybeStatus>();
  for (const ni of snap.nodeList) {
    out.set(ni.name, pre !== null ? pre : (pl.filter?.(state, info, ni) ?? null));
  }
  return out;
}

/** reasonsByNode: each node's reasons, "" for a node that fits. */
export function reasonsByNode(m: Map<string, MaybeStatus> | 'skip'): Record<string, string> {
  if (m === 'skip') return { skip: 'skip' };
  const out: Record<string, string> = {};
  for (const [k, st] of m) out[k] = st === null ? '' : st.reasons.join('; ');
  return out;
}

/** runScore: normalized scores by node name over the given nodes (all by default); 'skip'
 *  when PreScore skipped. */
export function runScore(pl: Plugin, snap: Snapshot, p: Pod, names?: string[]):
  Record<string, number> | 'skip' {
  const info = new PodInfo(p);
  const state = new CycleState();
  const nodes = names === undefined
    ? [...snap.nodeList]
    : names.map((n) => snap.node(n)).filter((n) => n !== undefined);
  const pre = pl.preScore?.(state, info, nodes, snap) ?? null;
  if (pre?.code === Code.Skip) return 'skip';
  const scores = nodes.map((n) => pl.score!(state, info, n));
  pl.normalizeScore?.(state, info, nodes, scores);
  return Object.fromEntries(nodes.map((n, i) => [n.name, scores[i]!]));
}

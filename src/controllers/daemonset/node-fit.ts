/**
 * Which nodes a DaemonSet's pod belongs on (the daemon controller's NodeShouldRunDaemonPod): the
 * pod's nodeSelector and required node affinity must match the node, and the node's NoSchedule and
 * NoExecute taints must be tolerated. A node whose taints are no longer tolerated keeps a pod that
 * already runs there unless a NoExecute taint is untolerated (NoSchedule only stops new pods).
 * Pure: the scheduler filters with the same rules, so a daemon pod made here is one it can bind.
 */
import type { Node, Taint } from '../../api/core/v1/cluster-kinds.js';
import type {
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  Toleration,
} from '../../api/core/v1/pod-types.js';

/** NodeFit: should a daemon pod be created here, and may an existing one stay. */
export interface NodeFit {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** nodeFit applies the daemon pod's spec (with daemon tolerations already added) to a node. */
export function nodeFit(spec: PodSpec, node: Node): NodeFit {
  const name = node.metadata.name ?? '';
  const fitsName = spec.nodeName === undefined || spec.nodeName === '' || spec.nodeName === name;
  if (!fitsName || !matchesRequiredAffinity(spec, node)) {
    return { shouldRun: false, shouldContinueRunning: false };
  }
  const taints = node.spec?.taints ?? [];
  const tolerations = spec.tolerations ?? [];
  const blocking = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
  if (!hasUntoleratedTaint(taints, tolerations, blocking)) {
    return { shouldRun: true, shouldContinueRunning: true };
  }
  const evicting = (t: Taint): boolean => t.effect === 'NoExecute';
  return { shouldRun: false, shouldContinueRunning: !hasUntoleratedTaint(taints, tolerations,
    evicting) };
}

/**
 * matchesRequiredAffinity: spec.nodeSelector (every label equal) and, when present, the required
 * node affinity (any term matches; a term is the AND of its expressions and fields).
 */
export function matchesRequiredAffinity(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return required.nodeSelectorTerms.some((term) => termMatches(term, node));
}

/** termMatches: an empty term matches nothing (as upstream's NodeSelectorTerm). */
function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  const nodeFields: Record<string, string> = { 'metadata.name': node.metadata.name ?? '' };
  return exprs.every((r) => requirementMatches(r, labels))
    && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, nodeFields));
}

function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt':
      return compareInteger(r.operator, value, values);
  }
}

const INTEGER = /^-?[0-9]+$/;

function compareInteger(op: 'Gt' | 'Lt', value: string | undefined, values: string[]): boolean {
  const want = values[0];
  if (value === undefined || want === undefined || values.length !== 1) return false;
  if (!INTEGER.test(value) || !INTEGER.test(want)) return false;
  return op === 'Gt' ? BigInt(value) > BigInt(want) : BigInt(value) < BigInt(want);
}

/** tolerates: a toleration matches a taint (core/v1 Toleration.ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  const op = t.operator ?? 'Equal';
  if (op === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return (t.key ?? '') === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** hasUntoleratedTaint: some taint selected by `considered` is matched by no toleration. */
export function hasUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  considered: (t: Taint) => boolean,
): boolean {
  return taints.some((taint) => considered(taint) && !tolerations.some((t) => tolerates(t,
    taint)));
}

/**
 * The status conditions a terminating namespace carries (upstream's namespace deletion
 * condition updater), so `kubectl describe ns` tells a user why a namespace is stuck: which
 * resources remain, which finalizers hold them, which deletes failed. Pure.
 */
import type { Condition } from '../../api/core/v1/common-types.js';

/** ContentTally is what one pass over the namespace found. */
export interface ContentTally {
  /** "<resource>.<group>" → objects still there (upstream's "pods." for the core group). */
  remaining: ReadonlyMap<string, number>;
  /** finalizer → objects still holding it. */
  finalizers: ReadonlyMap<string, number>;
  /** Failed lists and deletes, one message each. */
  errors: readonly string[];
}

interface Verdict {
  type: string;
  bad: boolean;
  okReason: string;
  okMessage: string;
  badReason: string;
  badMessage: string;
}

/** CONDITION_TYPES in upstream's order; all are written, "False" meaning all is well. */
export const CONDITION_TYPES: readonly string[] = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
];

function listed(m: ReadonlyMap<string, number>, each: (k: string, n: number) => string): string {
  return [...m].filter(([, n]) => n > 0).map(([k, n]) => each(k, n)).sort().join(', ');
}

function verdicts(t: ContentTally): Verdict[] {
  const errs = [...t.errors].sort();
  return [
    { type: 'NamespaceDeletionDiscoveryFailure', bad: false, okReason: 'ResourcesDiscovered',
      okMessage: 'All resources successfully discovered', badReason: '', badMessage: '' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', bad: false,
      okReason: 'ParsedGroupVersions', okMessage: 'All legacy kube types successfully parsed',
      badReason: '', badMessage: '' },
    { type: 'NamespaceDeletionContentFailure', bad: errs.length > 0, okReason: 'ContentDeleted',
      okMessage: 'All content successfully deleted, may be waiting on finalization',
      badReason: 'ContentDeletionFailed',
      badMessage: `Failed to delete all resource types, ${errs.length} remaining: ${
        errs.join(', ')}` },
    { type: 'NamespaceContentRemaining', bad: [...t.remaining.values()].some((n) => n > 0),
      okReason: 'ContentRemoved', okMessage: 'All content successfully removed',
      badReason: 'SomeResourcesRemain', badMessage: `Some resources are remaining: ${
        listed(t.remaining, (k, n) => `${k} has ${n} resource instances`)}` },
    { type: 'NamespaceFinalizersRemaining', bad: [...t.finalizers.values()].some((n) => n > 0),
      okReason: 'ContentRemoved', okMessage: 'All content successfully removed',
      badReason: 'SomeFinalizerRemain', badMessage: `Some finalizers are remaining: ${
        listed(t.finalizers, (k, n) => `${k} in ${n} resource instances`)}` },
  ];
}

/**
 * deletionConditions returns the namespace's conditions with the five deletion conditions set
 * from the tally; a condition's lastTransitionTime changes only when its status does. Other
 * conditions are kept as they are.
 */
export function deletionConditions(
  current: readonly Condition[],
  t: ContentTally,
  nowWall: string,
): Condition[] {
  const out = current.map((c) => ({ ...c }));
  for (const v of verdicts(t)) {
    const status = v.bad ? 'True' : 'False';
    const reason = v.bad ? v.badReason : v.okReason;
    const message = v.bad ? v.badMessage : v.okMessage;
    const old = out.find((c) => c.type === v.type);
    if (old === undefined) {
      out.push({ type: v.type, status, lastTransitionTime: nowWall, reason, message });
      continue;
    }
    if (old.status !== status) old.lastTransitionTime = nowWall;
    old.status = status;
    old.reason = reason;
    old.message = message;
  }
  return out;
}

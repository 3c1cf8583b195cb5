/**
 * What Deployment, ReplicaSet and DaemonSet share: a required, non-empty selector that matches
 * the template's labels, a template whose pods always restart, and an immutable selector.
 */
import type { FieldError } from '../../errors.js';
import { invalid, notSupported, required } from '../../validation/field.js';
import { immutable } from '../../validation/common.js';
import {
  type LabelSelector,
  selectorIsEmpty,
  selectorMatches,
  validateLabelSelector,
} from '../../validation/label-selector.js';
import type { PodTemplateSpec } from '../../core/v1/pod-types.js';
import { validatePodTemplate } from '../../core/v1/pod-validation.js';

/** SELECTOR_MISMATCH is upstream's detail, backquotes included. */
export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** WorkloadKind picks the wording of the kind-specific messages. */
export type WorkloadKind = 'deployment' | 'replicaset' | 'daemonset' | 'job';

/** Upstream words a ReplicaSet's empty selector "for deployment"; kept verbatim. */
const EMPTY_NOUN: Record<WorkloadKind, string> = {
  deployment: 'deployment',
  replicaset: 'deployment',
  daemonset: 'daemonset',
  job: 'job',
};
const DEADLINE_KIND: Record<WorkloadKind, string | undefined> = {
  deployment: 'ReplicaSet',
  replicaset: 'ReplicaSet',
  daemonset: 'DaemonSet',
  job: undefined,
};

/**
 * validateSelectorAndTemplate checks spec.selector and spec.template of a workload; the pod
 * template's restartPolicy must be one of `restartPolicies` (Always, except for Jobs).
 */
export function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  kind: WorkloadKind,
  restartPolicies: readonly string[] = ['Always'],
): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(selector, 'spec.selector'));
    if (selectorIsEmpty(selector)) errs.push(invalid('spec.selector', selector,
      `empty selector is invalid for ${EMPTY_NOUN[kind]}`));
  }
  if (!template) return [...errs, required('spec.template')];
  const labels = template.metadata?.labels ?? {};
  if (selector && !selectorIsEmpty(selector) && !selectorMatches(selector, labels)) {
    errs.push(invalid('spec.template.metadata.labels', labels, SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplate(template, 'spec.template'));
  const rp = template.spec?.restartPolicy;
  if (rp !== undefined && !restartPolicies.includes(rp)) {
    errs.push(notSupported('spec.template.spec.restartPolicy', rp, restartPolicies));
  }
  const deadlineKind = DEADLINE_KIND[kind];
  if (template.spec?.activeDeadlineSeconds !== undefined && deadlineKind) {
    const why = `activeDeadlineSeconds in ${deadlineKind} is not Supported`;
    errs.push(invalid('spec.template.spec.activeDeadlineSeconds',
      template.spec.activeDeadlineSeconds, why));
  }
  return errs;
}

/** selectorImmutable: apps/v1 selectors never change after create. */
export function selectorImmutable(next: LabelSelector | undefined,
  old: LabelSelector | undefined): FieldError[] {
  return immutable(next ?? null, old ?? null, 'spec.selector');
}

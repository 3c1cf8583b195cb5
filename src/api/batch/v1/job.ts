/**
 * batch/v1 Job: types, defaults (SetDefaults_Job), the generated selector, and validation. Unless
 * `manualSelector` is true, a Job selects its pods by its own uid, so two Jobs of the same name
 * (one deleted, one new) never adopt each other's pods.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { invalid, notSupported, required } from '../../validation/field.js';
import { immutable, nonNegative } from '../../validation/common.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import type { LabelSelector } from '../../validation/label-selector.js';
import type { Condition } from '../../core/v1/common-types.js';
import { defaultPodTemplate } from '../../core/v1/pod-defaults.js';
import type { PodTemplateSpec } from '../../core/v1/pod-types.js';
import { validateSelectorAndTemplate } from '../../apps/v1/workload-validation.js';

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template?: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed';
  podFailurePolicy?: { rules: unknown[] };
}
export interface JobStatus {
  conditions?: Condition[];
  startTime?: string | null;
  completionTime?: string | null;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}
/** Job runs pods to completion. */
export interface Job extends KubeObject {
  spec?: JobSpec;
  status?: JobStatus;
}

/** Labels a generated selector uses (the legacy pair kept as upstream still writes both). */
export const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** generateSelector labels the template with the Job's uid and name and selects by the uid. */
export function generateSelector(job: Job): void {
  const spec = job.spec;
  const uid = job.metadata.uid;
  const name = job.metadata.name ?? '';
  if (!spec || spec.manualSelector === true || spec.selector || !uid) return;
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.metadata.labels = {
    ...spec.template.metadata.labels,
    [JOB_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    'controller-uid': uid,
    'job-name': name,
  };
  spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
}

/** defaultJob fills a Job's defaults in place (idempotent). */
export function defaultJob(job: Job): void {
  const spec = (job.spec ??= {});
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  if (spec.backoffLimitPerIndex === undefined) spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplate(spec.template);
  selectorAndLabels(job);
}

/**
 * selectorAndLabels generates the selector, then gives a Job without labels its template's
 * labels (so Jobs list by batch.kubernetes.io/job-name as they do on Kubernetes).
 */
function selectorAndLabels(job: Job): void {
  generateSelector(job);
  const templateLabels = job.spec?.template?.metadata?.labels;
  if (templateLabels && Object.keys(
    job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...templateLabels };
}

function validateJob(job: Job): FieldError[] {
  const spec = job.spec ?? {};
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit',
    'ttlSecondsAfterFinished'] as const) {
    errs.push(...nonNegative(spec[f], `spec.${f}`));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds,
      'must be greater than 0'));
  }
  const mode = spec.completionMode ?? '';
  if (mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed' && spec.completions === undefined) {
    errs.push(required('spec.completions', 'when completion mode is Indexed'));
  }
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'job', ['OnFailure',
    'Never']));
  return errs;
}

function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const s = job.spec ?? {};
  const o = old.spec ?? {};
  const errs = [
    ...immutable(s.selector ?? null, o.selector ?? null, 'spec.selector'),
    ...immutable(s.completionMode, o.completionMode, 'spec.completionMode'),
  ];
  if (s.completionMode !== 'Indexed') errs.push(...immutable(s.completions ?? null,
    o.completions ?? null, 'spec.completions'));
  // A suspended Job that never started may still have its template changed (queueing systems do).
  const mayChangeTemplate = o.suspend === true && !old.status?.startTime;
  if (!mayChangeTemplate) errs.push(...immutable(s.template ?? null, o.template ?? null,
    'spec.template'));
  return errs;
}

/** jobStrategy is batch/v1 Job's KindStrategy. */
export const jobStrategy = defineStrategy<Job>({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  hasStatus: true,
  specFields: ['spec'],
  defaults: defaultJob,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  prepareForCreate: (job) => {
    selectorAndLabels(job);
    job.status = {};
  },
  fieldLabels: (job) => ({ 'status.successful': str(job.status?.succeeded ?? 0) }),
});

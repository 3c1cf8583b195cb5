/**
 * apps/v1 Deployment, ReplicaSet and DaemonSet: types, defaults (SetDefaults_Deployment & co.)
 * and validation. Templates get the pod-spec defaults so a stored Deployment reads back as it does
 * from Kubernetes (`protocol: TCP`, `imagePullPolicy`, ... which kubectl describe prints).
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { forbidden, invalid, notSupported } from '../../validation/field.js';
import { intOrPercentIsZero, nonNegative, validateIntOrPercent } from '../../validation/common.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import type { LabelSelector } from '../../validation/label-selector.js';
import type { Condition, IntOrString } from '../../core/v1/common-types.js';
import { defaultPodTemplate } from '../../core/v1/pod-defaults.js';
import type { PodTemplateSpec } from '../../core/v1/pod-types.js';
import { selectorImmutable, validateSelectorAndTemplate } from './workload-validation.js';

export interface RollingUpdate {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  strategy?: { type?: 'Recreate' | 'RollingUpdate'; rollingUpdate?: RollingUpdate };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}
/** Deployment rolls a pod template out through ReplicaSets. */
export interface Deployment extends KubeObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
}
export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}
/** ReplicaSet keeps a number of identical pods running. */
export interface ReplicaSet extends KubeObject {
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: RollingUpdate };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}
export interface DaemonSetStatus {
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: Condition[];
}
/** DaemonSet runs one pod per (matching) node. */
export interface DaemonSet extends KubeObject {
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

/** defaultDeployment: 1 replica, RollingUpdate 25%/25%, history 10, deadline 600 s. */
export function defaultDeployment(d: Deployment): void {
  const spec = (d.spec ??= {});
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template);
}

function validateRollingUpdate(ru: RollingUpdate, path: string, zeroDetail: string): FieldError[] {
  const errs = [
    ...validateIntOrPercent(ru.maxUnavailable, `${path}.maxUnavailable`),
    ...validateIntOrPercent(ru.maxSurge, `${path}.maxSurge`),
  ];
  if (intOrPercentIsZero(ru.maxUnavailable) && intOrPercentIsZero(ru.maxSurge ?? 0)) {
    errs.push(invalid(`${path}.maxUnavailable`, ru.maxUnavailable, zeroDetail));
  }
  return errs;
}

function validateDeployment(d: Deployment): FieldError[] {
  const spec = d.spec ?? {};
  const errs = nonNegative(spec.replicas, 'spec.replicas');
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'deployment'));
  const type = spec.strategy?.type ?? '';
  if (type !== 'Recreate' && type !== 'RollingUpdate') {
    errs.push(notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
  }
  const ru = spec.strategy?.rollingUpdate;
  if (type === 'Recreate' && ru) {
    errs.push(forbidden('spec.strategy.rollingUpdate',
      "may not be specified when strategy `type` is 'Recreate'"));
  } else if (ru) {
    errs.push(...validateRollingUpdate(ru, 'spec.strategy.rollingUpdate',
      'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const pds = spec.progressDeadlineSeconds;
  if (pds !== undefined) {
    errs.push(...nonNegative(pds, 'spec.progressDeadlineSeconds'));
    if (pds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', pds,
        'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

/** deploymentStrategy is apps/v1 Deployment's KindStrategy. */
export const deploymentStrategy = defineStrategy<Deployment>({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  hasStatus: true,
  specFields: ['spec'],
  defaults: defaultDeployment,
  validate: validateDeployment,
  validateUpdate: (d, old) => selectorImmutable(d.spec?.selector, old.spec?.selector),
  prepareForCreate: (d) => {
    d.status = {};
  },
});

function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const spec = rs.spec ?? {};
  return [
    ...nonNegative(spec.replicas, 'spec.replicas'),
    ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateSelectorAndTemplate(spec.selector, spec.template, 'replicaset'),
  ];
}

/** replicaSetStrategy is apps/v1 ReplicaSet's KindStrategy. */
export const replicaSetStrategy = defineStrategy<ReplicaSet>({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  hasStatus: true,
  specFields: ['spec'],
  defaults: (rs) => {
    rs.spec ??= {};
    rs.spec.replicas ??= 1;
    defaultPodTemplate(rs.spec.template);
  },
  validate: validateReplicaSet,
  validateUpdate: (rs, old) => selectorImmutable(rs.spec?.selector, old.spec?.selector),
  prepareForCreate: (rs) => {
    rs.status = { replicas: 0 };
  },
  fieldLabels: (rs) => ({ 'status.replicas': str(rs.status?.replicas ?? 0) }),
});

/** defaultDaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, history 10. */
export function defaultDaemonSet(ds: DaemonSet): void {
  const spec = (ds.spec ??= {});
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
}

function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const spec = ds.spec ?? {};
  const errs = validateSelectorAndTemplate(spec.selector, spec.template, 'daemonset');
  const type = spec.updateStrategy?.type ?? '';
  if (type !== 'OnDelete' && type !== 'RollingUpdate') {
    errs.push(notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  }
  const ru = spec.updateStrategy?.rollingUpdate;
  if (type === 'RollingUpdate' && ru) {
    errs.push(...validateRollingUpdate(ru, 'spec.updateStrategy.rollingUpdate',
      'cannot be 0 when maxSurge is 0'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

/** daemonSetStrategy is apps/v1 DaemonSet's KindStrategy. */
export const daemonSetStrategy = defineStrategy<DaemonSet>({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  hasStatus: true,
  specFields: ['spec'],
  defaults: defaultDaemonSet,
  validate: validateDaemonSet,
  validateUpdate: (ds, old) => selectorImmutable(ds.spec?.selector, old.spec?.selector),
  prepareForCreate: (ds) => {
    ds.status = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    };
  },
});

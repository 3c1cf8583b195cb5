/**
 * coordination.k8s.io/v1 Lease: what leader election (scheduler, controller-manager) and node
 * heartbeats write. No status and no generation: the whole object is the heartbeat.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { invalid } from '../../validation/field.js';
import { nonNegative } from '../../validation/common.js';
import { defineStrategy } from '../../validation/kind-strategy.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** metav1.MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

/** Lease is a named, time-bounded claim held by one identity. */
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

function validateLease(lease: Lease): FieldError[] {
  const spec = lease.spec ?? {};
  const errs: FieldError[] = [];
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d,
    'must be greater than 0'));
  errs.push(...nonNegative(spec.leaseTransitions, 'spec.leaseTransitions'));
  return errs;
}

/** leaseStrategy is coordination.k8s.io/v1 Lease's KindStrategy. */
export const leaseStrategy = defineStrategy<Lease>({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  validate: validateLease,
});

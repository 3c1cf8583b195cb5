/**
 * core/v1 ServiceAccount: an identity for processes in pods. Only ObjectMeta rules apply.
 */
import type { KubeObject } from '../../meta.js';
import { defineStrategy } from '../../validation/kind-strategy.js';
import type { LocalObjectReference, ObjectReference } from './common-types.js';

/** ServiceAccount is an identity for processes in pods. */
export interface ServiceAccount extends KubeObject {
  secrets?: ObjectReference[];
  imagePullSecrets?: LocalObjectReference[];
  automountServiceAccountToken?: boolean;
}

/** serviceAccountStrategy is core/v1 ServiceAccount's KindStrategy. */
export const serviceAccountStrategy = defineStrategy<ServiceAccount>({ group: '', version: 'v1',
  kind: 'ServiceAccount' });

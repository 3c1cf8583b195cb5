/**
 * Types several core/v1 kinds share: references to other objects, the IntOrString of ports and
 * surges, and resource lists. Declared once so Pod, Service, Endpoints and Event agree.
 */

/** IntOrString is a JSON value that is either a number or a string (ports, "25%"). */
export type IntOrString = number | string;

/** Protocol is a port's transport protocol. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** ResourceList maps a resource name (cpu, memory, ephemeral-storage...) to a quantity. */
export type ResourceList = Record<string, string | number>;

/** ObjectReference points at any object (events' involvedObject, endpoints' targetRef). */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** LocalObjectReference names an object in the same namespace. */
export interface LocalObjectReference {
  name?: string;
}

/** Condition is the status condition shape most kinds use. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  lastUpdateTime?: string | null;
  lastHeartbeatTime?: string | null;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export type { LabelSelector, LabelSelectorRequirement } from '../../validation/label-selector.js';
